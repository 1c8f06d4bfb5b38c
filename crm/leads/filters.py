"""The lead list's query: filters and search read from the URL, sorting, keyset cursors, totals."""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import current_app, g
from flask_babel import gettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql.util import ClauseAdapter

from core import search
from core.extensions import db
from core.i18n import LANGUAGES
from core.models import LEAD_SOURCES, LEAD_STAGES, ImportJob, ImportMerge, Lead
from core.models.base import UTCDateTime, utcnow

PAGE_SIZE = 50
# A search counts and adds up its matches only this far unless asked for all: a common term
# ("muller", 7% of leads) had the database read every match for the totals, 70,000 at a million
# leads (0.5 s); past the cap the list says "more than 1,000" and offers the exact figures.
TOTALS_CAP = 1000
MAX_SEARCH = search.MAX_SEARCH
# Bands over the figure totals add up (planned amount, else the band's lower bound), in CNY.
INVESTMENT_BANDS = {
    "lt50m": (None, Decimal(50_000_000)),
    "50m-200m": (Decimal(50_000_000), Decimal(200_000_000)),
    "200m-500m": (Decimal(200_000_000), Decimal(500_000_000)),
    "500m-1b": (Decimal(500_000_000), Decimal(1_000_000_000)),
    "gte1b": (Decimal(1_000_000_000), None),
}
SORTS = ("created", "company", "stage", "investment", "last_contact")
# The keys that make up a filter; a saved filter keeps exactly these, never a page cursor.
FILTER_KEYS = (
    "q", "stage", "owner", "team", "event", "source", "country", "industry", "band", "language",
    "created_from", "created_to", "contact_from", "contact_to", "no_response", "overdue",
    "import", "sort", "dir",
)  # fmt: skip
# Stand-ins for missing sort values, so NULLs sort as one end of the range and cursors stay simple.
NO_AMOUNT = Decimal(-1)
NO_CONTACT = datetime(1970, 1, 1, tzinfo=UTC)
_ID = re.compile(r"\d{1,9}")
_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

estimate = func.coalesce(Lead.planned_investment, Lead.investment_min)


@dataclass
class LeadQuery:
    """What the list shows, read from the request: the WHERE clauses, the order, the cursor."""

    args: dict[str, list[str]] = field(default_factory=dict)
    where: list = field(default_factory=list)
    sort: str = "created"
    descending: bool = True
    after: list | None = None
    before: list | None = None
    problems: list[str] = field(default_factory=list)
    searching: bool = False
    # Asked for the exact count and sum of a search however many match (?totals=all).
    exact_totals: bool = False
    # The search matches more than TOTALS_CAP leads: the page walks the sort index instead.
    common: bool = False

    @property
    def query_string(self) -> str:
        """The filter as a URL query (no cursor): links, saved filters and exports reuse it."""
        return urlencode([(k, v) for k in FILTER_KEYS for v in self.args.get(k, [])])

    def value(self, key: str) -> str:
        values = self.args.get(key)
        return values[0] if values else ""

    def sort_key(self):
        if self.searching and not self.common and self.sort in ("created", "company"):
            # A rare search term would have the database walk the whole sort index row by row;
            # hiding the index makes it scan the table once and sort the few matches (4× faster
            # at 100k leads on SQLite). A common term (over TOTALS_CAP) keeps the index: it
            # finds a page's 50 matches within the first few hundred rows of the sort order.
            column = Lead.created_at if self.sort == "created" else Lead.company_name
            return func.coalesce(column, column)
        if self.sort == "company":
            return Lead.company_name
        if self.sort == "stage":
            return case({s: n for n, s in enumerate(LEAD_STAGES)}, value=Lead.stage, else_=99)
        if self.sort == "investment":
            return func.coalesce(estimate, NO_AMOUNT)
        if self.sort == "last_contact":
            return func.coalesce(Lead.last_contact_at, literal(NO_CONTACT, UTCDateTime()))
        return Lead.created_at

    def key_of(self, lead: Lead):
        """The sort value of a loaded lead, as the database compares it."""
        if self.sort == "company":
            return lead.company_name
        if self.sort == "stage":
            return LEAD_STAGES.index(lead.stage) if lead.stage in LEAD_STAGES else 99
        if self.sort == "investment":
            amount = lead.investment_estimate
            return NO_AMOUNT if amount is None else amount
        if self.sort == "last_contact":
            return lead.last_contact_at or NO_CONTACT
        return lead.created_at

    def order_by(self, reverse: bool = False, key=None, ident=Lead.id) -> list:
        key = self.sort_key() if key is None else key
        desc = self.descending != reverse
        return [key.desc(), ident.desc()] if desc else [key.asc(), ident.asc()]

    def page_condition(self, key=None, ident=Lead.id):
        """The keyset WHERE for the page after (or before) the cursor row."""
        cursor, backwards = (self.after, False) if self.after else (self.before, True)
        if cursor is None:
            return None
        value, lead_id = cursor
        key = self.sort_key() if key is None else key
        if self.sort == "last_contact":
            value = literal(value, UTCDateTime())
        if self.descending != backwards:
            # The first part is the one an index on the sort column can serve.
            return and_(key <= value, or_(key < value, ident < lead_id))
        return and_(key >= value, or_(key > value, ident > lead_id))

    def cursor(self, lead: Lead) -> str:
        return _serializer().dumps([self.sort, self.descending, _plain(self.key_of(lead)), lead.id])

    def url_args(self, **extra) -> str:
        return "&".join(p for p in (self.query_string, urlencode(extra)) if p)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lead-list-cursor")


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _read_cursor(query: LeadQuery, raw: str) -> list | None:
    """A cursor this server signed for the current sort, else None (with a message)."""
    try:
        sort, descending, value, lead_id = _serializer().loads(raw)
        if sort != query.sort or descending != query.descending or not isinstance(lead_id, int):
            raise ValueError
        if sort in ("created", "last_contact"):
            value = datetime.fromisoformat(value)
        elif sort == "investment":
            value = Decimal(value)
        elif not isinstance(value, (int, str)):
            raise ValueError
    except (BadSignature, ValueError, TypeError, ArithmeticError):
        query.problems.append(gettext("The page link was not valid; showing the first page."))
        return None
    return [value, lead_id]


def _local_midnight(day: date) -> datetime:
    zone = ZoneInfo(g.get("timezone") or current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _date(query: LeadQuery, key: str, label: str) -> date | None:
    raw = query.value(key).strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        query.problems.append(
            gettext("%(field)s: “%(value)s” is not a date (YYYY-MM-DD); ignored.",
                    field=label, value=raw[:40])
        )  # fmt: skip
        query.args.pop(key, None)
        return None


def _date_range(query: LeadQuery, column, start_key: str, end_key: str, label: str) -> None:
    start = _date(query, start_key, label)
    end = _date(query, end_key, label)
    if start:
        query.where.append(column >= _local_midnight(start))
    if end:
        # The end date counts whole: up to the next local midnight.
        query.where.append(column < _local_midnight(end + timedelta(days=1)))


def _choice(query: LeadQuery, key: str, allowed, label: str) -> list[str]:
    chosen = []
    for raw in query.args.get(key, []):
        if raw in allowed:
            chosen.append(raw)
        elif raw:
            query.problems.append(
                gettext("%(field)s: unknown value “%(value)s”; ignored.", field=label,
                        value=raw[:40])
            )  # fmt: skip
    query.args[key] = chosen
    return chosen


def _number(query: LeadQuery, key: str, label: str, extra=()) -> str | None:
    raw = query.value(key).strip()
    if not raw:
        return None
    if raw in extra or _ID.fullmatch(raw):
        return raw
    query.problems.append(
        gettext("%(field)s: “%(value)s” is not a valid choice; ignored.", field=label,
                value=raw[:40])
    )  # fmt: skip
    query.args.pop(key, None)
    return None


def _search(query: LeadQuery) -> None:
    raw = " ".join(query.value("q").split())
    if len(raw) > MAX_SEARCH:
        query.problems.append(
            gettext("Search was shortened to %(count)d characters.", count=MAX_SEARCH)
        )
        raw = raw[:MAX_SEARCH]
    query.args["q"] = [raw] if raw else []
    query.searching = bool(raw)
    if raw:
        query.where += search.conditions(raw)  # core.search owns what a lead is found by


def parse(args, scope) -> LeadQuery:
    """Read the list's query from request.args; malformed parts are dropped and named."""
    query = LeadQuery(args={k: args.getlist(k) for k in FILTER_KEYS})
    query.exact_totals = args.get("totals") == "all"
    query.where += [scope, Lead.merged_into_id.is_(None)]
    _search(query)
    stages = _choice(query, "stage", LEAD_STAGES, gettext("Stage"))
    if stages:
        query.where.append(Lead.stage.in_(stages))
    owner = _number(query, "owner", gettext("Owner"), extra=("unassigned",))
    if owner == "unassigned":
        query.where.append(Lead.owner_id.is_(None))
    elif owner:
        query.where.append(Lead.owner_id == int(owner))
    team = _number(query, "team", gettext("Team"))
    if team:
        query.where.append(Lead.team_id == int(team))
    event = _number(query, "event", gettext("Event"), extra=("none",))
    if event == "none":
        query.where.append(Lead.event_id.is_(None))
    elif event:
        query.where.append(Lead.event_id == int(event))
    for key, column, allowed, label in (
        ("source", Lead.source, LEAD_SOURCES, gettext("Source")),
        ("language", Lead.language, tuple(LANGUAGES), gettext("Language")),
        ("band", None, tuple(INVESTMENT_BANDS), gettext("Investment")),
    ):
        chosen = _choice(query, key, allowed, label)[:1]
        query.args[key] = chosen
        if chosen and column is not None:
            query.where.append(column == chosen[0])
    if query.value("band"):
        low, high = INVESTMENT_BANDS[query.value("band")]
        if low is not None:
            query.where.append(estimate >= low)
        if high is not None:
            query.where.append(estimate < high)
    country = query.value("country").strip().upper()
    if re.fullmatch(r"[A-Z]{2}", country):
        query.args["country"] = [country]
        query.where.append(Lead.country == country)
    elif country:
        query.problems.append(gettext("Country: not a country code; ignored."))
        query.args.pop("country")
    industry = query.value("industry").strip().lower()
    if _CODE.fullmatch(industry):
        query.args["industry"] = [industry]
        query.where.append(Lead.industry == industry)
    elif industry:
        query.problems.append(gettext("Industry: unknown value; ignored."))
        query.args.pop("industry")
    _imported(query)
    _date_range(query, Lead.created_at, "created_from", "created_to", gettext("Created"))
    _date_range(query, Lead.last_contact_at, "contact_from", "contact_to", gettext("Last contact"))
    if query.value("no_response") == "1":
        query.where.append(Lead.first_response_at.is_(None))
    if query.value("overdue") == "1":
        query.where += [Lead.first_response_at.is_(None), Lead.response_due_at < utcnow()]
    for flag in ("no_response", "overdue"):
        if query.value(flag) != "1":
            query.args.pop(flag, None)
    _sorting(query)
    if args.get("after"):
        query.after = _read_cursor(query, args["after"])
    elif args.get("before"):
        query.before = _read_cursor(query, args["before"])
    return query


def _imported(query: LeadQuery) -> None:
    """The leads one import created or merged rows into (its result page links here)."""
    job_id = _number(query, "import", gettext("Import"))
    job = db.session.get(ImportJob, int(job_id)) if job_id else None
    if job_id and job is None:
        query.problems.append(gettext("Import: no such import; ignored."))
        query.args.pop("import", None)
    elif job is not None:
        merged = select(ImportMerge.lead_id).where(ImportMerge.job_id == job.id)
        query.where.append(or_(Lead.id.in_(job.lead_ids or [0]), Lead.id.in_(merged)))


def _sorting(query: LeadQuery) -> None:
    sort, direction = query.value("sort"), query.value("dir")
    if sort and sort not in SORTS or direction and direction not in ("asc", "desc"):
        query.problems.append(gettext("Unknown sort order; sorted by newest first."))
        sort, direction = "", ""
    query.sort = sort or "created"
    # Newest and largest first by default; names, stages and dates of contact A to Z.
    default = "desc" if query.sort in ("created", "investment") else "asc"
    query.descending = (direction or default) == "desc"
    query.args["sort"] = [query.sort] if sort else []
    query.args["dir"] = [direction] if direction else []


def searched_page(query: LeadQuery):
    """A search page and the totals in one pass: (id, count, sum) rows, page order.

    A search term cannot use an index, so the page and the totals would each scan every lead;
    window functions count and add up the matches in the same scan that picks the page. Unless
    exact totals are asked for, the scan stops after TOTALS_CAP + 1 matches: a count above the
    cap means the page is not complete (the caller then pages by the sort index, common=True).
    """
    # Only the columns a sort key or the sum reads: the search text stays in the table.
    matching = select(
        Lead.id, Lead.created_at, Lead.company_name, Lead.stage, Lead.last_contact_at,
        Lead.planned_investment, Lead.investment_min,
    ).where(*query.where)  # fmt: skip
    if not query.exact_totals:
        matching = matching.limit(TOTALS_CAP + 1)
    found = matching.subquery()
    matches = (
        select(
            found.c.id.label("id"),
            _from(found, query.sort_key()).label("key"),
            func.count().over().label("count"),
            func.coalesce(func.sum(_from(found, estimate)).over(), 0).label("amount"),
        )
    ).subquery()
    backwards = query.before is not None
    statement = (
        select(matches.c.id, matches.c.count, matches.c.amount)
        .order_by(*query.order_by(backwards, matches.c.key, matches.c.id))
        .limit(PAGE_SIZE + 1)
    )
    condition = query.page_condition(matches.c.key, matches.c.id)
    return statement if condition is None else statement.where(condition)


def _from(subquery, expression):
    """The expression over Lead's columns rewritten to read the subquery's."""
    return ClauseAdapter(subquery).traverse(expression)


def totals(query: LeadQuery, capped: bool = False):
    """Count and summed estimate of the whole filtered set, in one aggregate query; `capped`
    stops at TOTALS_CAP + 1 leads (a search: a count above the cap is not the total)."""
    if capped and not query.exact_totals:
        found = select(estimate.label("amount")).where(*query.where).limit(TOTALS_CAP + 1)
        found = found.subquery()
        return select(func.count(), func.coalesce(func.sum(found.c.amount), 0))
    # count(*), not count(id): PostgreSQL then answers from ix_lead_totals alone.
    return select(func.count(), func.coalesce(func.sum(estimate), 0)).where(*query.where)
