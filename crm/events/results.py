"""Event results: what each fair brought, per event, side by side and per staff member."""

from dataclasses import dataclass, field
from decimal import Decimal

from flask import abort, render_template, request
from flask_babel import gettext
from sqlalchemy import and_, case, func, or_, select

from core.exports import download
from core.extensions import db
from core.i18n import current_language
from core.leads import FAIR_RESPONSE_HOURS
from core.models import FORWARD_RANK, Activity, Event, Lead, LeadTouch, User
from core.models.base import utcnow
from crm.events import bp
from crm.events.views import get_event_or_404
from crm.permissions import require

FORMATS = ("csv", "xlsx")
METRICS = ("contacts", "captured", "on_time", "qualified", "visits", "signed", "signed_amount")


@dataclass
class Figures:
    contacts: int = 0
    captured: int = 0
    on_time: int = 0
    qualified: int = 0
    visits: int = 0
    signed: int = 0
    signed_amount: Decimal = Decimal(0)
    budget: Decimal | None = None
    # Leads first attributed elsewhere (the website, another fair) met again at this event.
    met_again: int = 0
    staff: list = field(default_factory=list)  # [(name or None, Figures)]

    @property
    def cost_per_signed(self) -> Decimal | None:
        if self.budget is None or not self.signed:
            return None
        return (self.budget / self.signed).quantize(Decimal("0.01"))


def _hours_between(later, earlier):
    """Hours from earlier to later, in SQL: the two databases spell time arithmetic apart."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 3600
    return (func.julianday(later) - func.julianday(earlier)) * 24


def _figures_query(event_ids: list[int], by_staff: bool):
    """One GROUP BY over the events' leads; their furthest stage says how far each got."""
    attributed = (Lead.event_id.in_(event_ids), Lead.merged_into_id.is_(None))
    visited = (
        select(Activity.lead_id)
        .join(Lead, Lead.id == Activity.lead_id)
        .where(Activity.kind == "site_visit", *attributed)
        .group_by(Activity.lead_id)
        .subquery()
    )
    furthest = case(FORWARD_RANK, value=Lead.furthest_stage, else_=-1)

    def reached(stage: str):
        return furthest >= FORWARD_RANK[stage]

    def tally(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    started = func.coalesce(Lead.captured_at, Lead.created_at)
    on_time = and_(
        Lead.first_response_at.is_not(None),
        _hours_between(Lead.first_response_at, started) <= FAIR_RESPONSE_HOURS,
    )
    signed = reached("signed")
    columns = [
        func.count(Lead.id),
        tally(Lead.captured_at.is_not(None)),
        tally(on_time),
        tally(reached("qualified")),
        tally(or_(reached("site_visit"), visited.c.lead_id.is_not(None))),
        tally(signed),
        func.coalesce(
            func.sum(case((signed, func.coalesce(Lead.planned_investment, Lead.investment_min)))),
            0,
        ),
    ]
    keys = [Lead.event_id] + ([Lead.captured_by_id] if by_staff else [])
    return (
        select(*keys, *columns)
        .outerjoin(visited, visited.c.lead_id == Lead.id)
        .where(*attributed)
        .group_by(*keys)
    )


def _figures(row) -> Figures:
    values = dict(zip(METRICS, row, strict=True))
    values["signed_amount"] = Decimal(values["signed_amount"] or 0)
    return Figures(**{k: v if k == "signed_amount" else int(v or 0) for k, v in values.items()})


def results_for(events: list[Event], with_staff: bool = False) -> dict[int, Figures]:
    """Figures per event id (every event listed, zeros where nothing came of it).

    Results are aggregates for managers and leaders: they count all leads of the event, not
    only those the reader may open (visible_leads), because counts and sums reveal no person.
    """
    ids = [e.id for e in events]
    found = {e.id: Figures(budget=e.budget) for e in events}
    if not ids:
        return found
    for event_id, *row in db.session.execute(_figures_query(ids, by_staff=False)):
        figures = _figures(row)
        figures.budget = found[event_id].budget
        found[event_id] = figures
    touched = (
        select(LeadTouch.event_id, func.count(func.distinct(LeadTouch.lead_id)))
        .join(Lead, Lead.id == LeadTouch.lead_id)
        .where(
            LeadTouch.event_id.in_(ids),
            Lead.merged_into_id.is_(None),
            or_(Lead.event_id.is_(None), Lead.event_id != LeadTouch.event_id),
        )
        .group_by(LeadTouch.event_id)
    )
    for event_id, met_again in db.session.execute(touched):
        found[event_id].met_again = met_again
    if with_staff:
        rows = db.session.execute(_figures_query(ids, by_staff=True)).all()
        names = dict(
            db.session.execute(
                select(User.id, User.name).where(User.id.in_({r[1] for r in rows if r[1]}))
            ).all()
        )
        for event_id, user_id, *row in rows:
            found[event_id].staff.append((names.get(user_id) if user_id else None, _figures(row)))
        for figures in found.values():
            # Named staff by what they captured; leads nobody captured (web, import) last.
            figures.staff.sort(key=lambda item: (item[0] is None, -item[1].contacts, item[0] or ""))
    return found


def _all_events() -> list[Event]:
    return list(db.session.scalars(select(Event).order_by(Event.starts_on.desc(), Event.id)))


@bp.route("/events/results")
@require("event.results")
def events_results():
    events = _all_events()
    return render_template("crm/events/compare.html", events=events, results=results_for(events))


@bp.route("/events/<id:event_id>/results")
@require("event.results")
def event_results(event_id: int):
    event = get_event_or_404(event_id)
    figures = results_for([event], with_staff=True)[event.id]
    return render_template("crm/events/results.html", event=event, figures=figures)


def _header() -> list[str]:
    return [
        gettext("Event"),
        gettext("First day"),
        gettext("Staff member"),
        gettext("Contacts"),
        gettext("Captured at the booth"),
        gettext("Contacted within 48 hours"),
        gettext("Qualified"),
        gettext("Site visits"),
        gettext("Signed"),
        gettext("Planned investment signed (CNY)"),
        gettext("Budget (CNY)"),
        gettext("Cost per signed project (CNY)"),
    ]


def _row(event: Event, who: str, figures: Figures, lang: str, totals: bool) -> list:
    return [
        event.text("name", lang),
        event.starts_on,
        who,
        *(getattr(figures, name) for name in METRICS),
        event.budget if totals else None,
        figures.cost_per_signed if totals else None,
    ]


@bp.route("/events/results/export")
@require("event.results")
def events_results_export():
    fmt = request.args.get("format", "")
    if fmt not in FORMATS:
        abort(400)
    raw = request.args.get("event_id", "")
    if raw:
        if not raw.isdigit():
            abort(404)
        events = [get_event_or_404(int(raw))]
    else:
        events = _all_events()
    results = results_for(events, with_staff=True)
    lang = current_language()
    rows = []
    everyone, nobody = gettext("All staff"), gettext("Not captured at the booth")
    for event in events:
        figures = results[event.id]
        rows.append(_row(event, everyone, figures, lang, totals=True))
        for name, own in figures.staff:
            rows.append(_row(event, name or nobody, own, lang, totals=False))
    stem = events[0].slug if raw else "events"
    return download(fmt, f"{stem}-results-{utcnow():%Y%m%d}.{fmt}", _header(), rows)
