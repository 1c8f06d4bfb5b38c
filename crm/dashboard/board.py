"""The dashboard's figures for a year, in words: what the page, its print and its workbook show."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel.dates import get_month_names
from flask import g, url_for
from flask_babel import format_percent, get_locale, gettext, ngettext
from flask_login import current_user
from sqlalchemy import select

from core import lead_flow, projects, targets
from core.countries import country_name
from core.extensions import db
from core.i18n import date as date_text
from core.i18n import money, money_compact, number, translated
from core.models import FORWARD_STAGES, Enterprise, Event, Project
from core.stages import PROJECT_STAGE_LABELS, lead_stage_label
from crm.dashboard.charts import bar_chart, cumulative_chart
from crm.enterprises.forms import zone_name
from crm.leads.forms import SOURCE_LABELS
from crm.projects import company, may_see

# Years a person could mean; anything else in the URL is a mistake, not a query.
FIRST_YEAR, LAST_YEAR = 2000, 2100
# Years offered in the chooser: this one and the ones before it.
YEARS_BACK = 5


@dataclass
class Measure:
    code: str
    name: str
    target: int
    monthly: list
    cumulative: list
    actual: int
    share: str  # of the target, formatted ("" without a target)
    chart: str
    summary: str


@dataclass
class ProjectRow:
    name: str
    url: str | None
    stage: str
    zone: str
    investment: Decimal | None
    signed_on: date
    reasons: list[str] = field(default_factory=list)


@dataclass
class Dashboard:
    year: int
    goals: targets.YearTargets
    months: list[str]
    shown: int  # months of the year that have begun (the figures stop there)
    measures: list[Measure]
    investment: dict
    zones: list[dict]
    risks: list[ProjectRow]
    majors: list[dict]
    funnel: dict
    breakdowns: list[dict]


def this_year() -> int:
    return projects.park_today().year


def read_year(raw: str | None) -> tuple[int, str]:
    """The year asked for, or this year and what was wrong with the URL's value."""
    raw = (raw or "").strip()
    if not raw:
        return this_year(), ""
    if len(raw) == 4 and raw.isascii() and raw.isdigit() and FIRST_YEAR <= int(raw) <= LAST_YEAR:
        return int(raw), ""
    return this_year(), gettext("Choose a year from the list.")


def years_offered(year: int) -> list[int]:
    now = this_year()
    return sorted({*range(now - YEARS_BACK, now + 1), year}, reverse=True)


def months_begun(year: int, today: date) -> int:
    if year < today.year:
        return 12
    return today.month if year == today.year else 0


def percent(part, whole) -> str:
    return format_percent(part / whole, "#,##0%") if whole else ""


def _cut(monthly: list, shown: int) -> list:
    return [value if i < shown else None for i, value in enumerate(monthly)]


def _month_names() -> list[str]:
    names = get_month_names("abbreviated", locale=get_locale())
    return [names[m] for m in range(1, 13)]


def _until(months: list[str], shown: int) -> str:
    return months[shown - 1] if shown else ""


def _measures(year: int, goals, months: list[str], shown: int, signed: list[int]) -> list:
    reached = targets.reached_by_month(year)
    names = targets.measure_names()
    out = []
    for code, monthly in (("signed", signed), *reached.items()):
        monthly = _cut(monthly, shown)
        running = targets.cumulative(monthly)
        actual = running[shown - 1] if shown else 0
        target = goals.figures[code]
        name = translated(names[code])
        summary = gettext(
            "%(measure)s in %(year)s: %(actual)s of the target of %(target)s (%(share)s), "
            "counted to the end of %(month)s.",
            measure=name,
            year=year,
            actual=number(actual),
            target=number(target),
            share=percent(actual, target) or "—",
            month=_until(months, shown) or "—",
        )
        chart = cumulative_chart(
            f"chart-{code}",
            gettext("%(measure)s in %(year)s, cumulative by month", measure=name, year=year),
            months,
            running,
            target,
            number,
            gettext("Target %(target)s", target=number(target)),
        )
        out.append(
            Measure(code, name, target, monthly, running, actual, percent(actual, target),
                    chart, summary)
        )  # fmt: skip
    return out


def _investment(year: int, months, shown: int, amounts, changes) -> dict:
    monthly = _cut(targets.signed_investment_by_month(year, amounts, changes), shown)
    running = targets.cumulative(monthly)
    total = running[shown - 1] if shown else Decimal(0)
    title = gettext("Signed investment in %(year)s, cumulative by month", year=year)
    return {
        "monthly": monthly,
        "cumulative": running,
        "total": total,
        "chart": cumulative_chart(
            "chart-investment", title, months, running, None, lambda v: money_compact(v)
        ),
        "summary": gettext(
            "Investment signed in %(year)s: %(total)s to the end of %(month)s (at signing, then "
            "only the increase of a later change).",
            year=year,
            total=money(total),
            month=_until(months, shown) or "—",
        ),
    }


def _zones(year: int) -> list[dict]:
    rules = {z["code"]: z for z in targets.zone_rules()}
    out = []
    for result in targets.zone_deadlines(year):
        if result.met is None:
            verdict = gettext("No project signed yet")
        elif result.met:
            verdict = gettext("Met")
        else:
            verdict = gettext("Not met")
        out.append(
            {
                "zone": zone_name(result.zone),
                "rule": translated(rules[result.zone]["description"]),
                "deadline": result.deadline,
                "signed": result.signed,
                "started": result.started,
                "share": percent(result.started, result.signed),
                "met": result.met,
                "verdict": verdict,
            }
        )
    return out


class _Rows:
    """Rows of project lists: names and links as the user may see them, labels looked up once.

    Hundreds of rows on one page: admins and managers see every project under its name, others
    go through crm.projects.company and may_see (code names where confidential, links only in
    scope).
    """

    def __init__(self):
        self.whole_scope = current_user.role in ("admin", "manager")
        self.link = url_for("crm.projects.project", project_id=0).removesuffix("0")
        self.stages = {code: str(label) for code, label in PROJECT_STAGE_LABELS.items()}
        self.zones: dict[str, str] = {}

    def __call__(self, project: Project) -> ProjectRow:
        zone = project.zone
        if zone and zone not in self.zones:
            self.zones[zone] = zone_name(zone)
        if self.whole_scope:
            name, url = project.lead.company_name, f"{self.link}{project.id}"
        else:
            name = company(project.lead)
            url = f"{self.link}{project.id}" if may_see(project) else None
        return ProjectRow(
            name=name,
            url=url,
            stage=self.stages.get(project.stage, project.stage),
            zone=self.zones.get(zone, "") if zone else "",
            investment=project.investment,
            signed_on=project.signed_on,
        )


def _risks(today: date, make_row: _Rows) -> list[ProjectRow]:
    rows = []
    for risk in targets.at_risk(today):
        row = make_row(risk.project)
        if risk.days_left is not None:
            if risk.days_left > 0:
                row.reasons.append(
                    ngettext(
                        "construction must start within %(num)d day (by %(day)s)",
                        "construction must start within %(num)d days (by %(day)s)",
                        risk.days_left,
                        day=date_text(risk.deadline, "medium"),
                    )
                )
            elif risk.days_left == 0:
                row.reasons.append(gettext("construction must start today"))
            else:
                row.reasons.append(
                    ngettext(
                        "construction deadline passed %(num)d day ago (%(day)s)",
                        "construction deadline passed %(num)d days ago (%(day)s)",
                        -risk.days_left,
                        day=date_text(risk.deadline, "medium"),
                    )
                )
        if risk.overdue_steps:
            row.reasons.append(
                ngettext(
                    "%(num)d approval step overdue",
                    "%(num)d approval steps overdue",
                    risk.overdue_steps,
                )
            )
        rows.append(row)
    return rows


def _majors(year: int, make_row: _Rows) -> list[dict]:
    return [
        {
            "threshold": threshold,
            "label": gettext("At least %(amount)s", amount=money_compact(threshold)),
            "rows": [make_row(p) for p in found],
        }
        for threshold, found in targets.major_projects(year).items()
    ]


def _funnel(year: int, flow: lead_flow.LeadFlow) -> dict:
    reached, stays = flow.reached, flow.stays
    stages = FORWARD_STAGES
    rows = []
    for i, stage in enumerate(stages):
        following = reached[i + 1] if i + 1 < len(stages) else None
        count, median = stays.get(stage, (0, None))
        rows.append(
            {
                "stage": stage,
                "label": lead_stage_label(stage),
                "reached": reached[i],
                "next": lead_stage_label(stages[i + 1]) if following is not None else "",
                "rate": percent(following, reached[i]) if following is not None else "",
                "reached_next": following,
                "stays": count,
                "median": median,
            }
        )
    created, signed = reached[0], reached[-1]
    title = gettext("Lead funnel %(year)s: leads that reached each stage", year=year)
    return {
        "rows": rows,
        "created": created,
        "chart": bar_chart(
            "chart-funnel", title, [(r["label"], r["reached"]) for r in rows], number
        ),
        "summary": gettext(
            "%(created)s leads created in %(year)s; %(signed)s of them reached “%(stage)s” "
            "(%(share)s).",
            created=number(created),
            year=year,
            signed=number(signed),
            stage=lead_stage_label(stages[-1]),
            share=percent(signed, created) or "—",
        ),
    }


def _names(found: dict) -> dict[str, dict]:
    """Display names of the events and enterprises in the breakdowns: one query each."""
    lang = g.get("lang", "zh")
    events = {k for k in found["event_id"] if k is not None}
    firms = {k for k in found["referrer_enterprise_id"] if k is not None}
    names = {"event_id": {}, "referrer_enterprise_id": {}}
    if events:
        for event in db.session.scalars(select(Event).where(Event.id.in_(events))):
            names["event_id"][event.id] = event.text("name", lang)
    if firms:
        for firm in db.session.scalars(select(Enterprise).where(Enterprise.id.in_(firms))):
            names["referrer_enterprise_id"][firm.id] = firm.display_name(lang)
    return names


def _breakdowns(year: int, changes) -> list[dict]:
    found = lead_flow.breakdowns(year, changes)
    names = _names(found)
    nothing = {
        "source": gettext("Unknown"),
        "event_id": gettext("No event"),
        "country": gettext("Unknown"),
        "referrer_enterprise_id": gettext("Not referred by an enterprise"),
    }

    def label(dimension: str, key) -> str:
        if key is None or key == "":
            return nothing[dimension]
        if dimension == "source":
            return str(SOURCE_LABELS.get(key, key))
        if dimension == "country":
            return country_name(key)
        return names[dimension].get(key, str(key))

    titles = {
        "source": gettext("Leads and signed investment by source"),
        "event_id": gettext("Leads and signed investment by event"),
        "country": gettext("Leads and signed investment by country or region"),
        "referrer_enterprise_id": gettext("Leads and signed investment by referring enterprise"),
    }
    heads = {
        "source": gettext("Source"),
        "event_id": gettext("Event"),
        "country": gettext("Country or region"),
        "referrer_enterprise_id": gettext("Referring enterprise"),
    }
    out = []
    for dimension in targets.DIMENSIONS:
        rows = sorted(
            ({"label": label(dimension, k), **vars(v)} for k, v in found[dimension].items()),
            key=lambda r: (-r["leads"], -r["investment"], r["label"]),
        )
        out.append(
            {
                "key": dimension.removesuffix("_id").replace("_", "-"),
                "title": titles[dimension],
                "head": heads[dimension],
                "rows": rows,
            }
        )
    return out


def build(year: int) -> Dashboard:
    """Everything the page, the print version and the spreadsheet show, for one year."""
    today = projects.park_today()
    goals = targets.targets_for(year)
    months = _month_names()
    shown = months_begun(year, today)
    signed, amounts = targets.signed_by_month(year)
    changes = targets.investment_changes(year)
    make_row = _Rows()
    flow = lead_flow.lead_flow(year)  # one pass: the funnel and the stays
    return Dashboard(
        year=year,
        goals=goals,
        months=months,
        shown=shown,
        measures=_measures(year, goals, months, shown, signed),
        investment=_investment(year, months, shown, amounts, changes),
        zones=_zones(year),
        risks=_risks(today, make_row),
        majors=_majors(year, make_row),
        funnel=_funnel(year, flow),
        breakdowns=_breakdowns(year, changes),
    )
