"""The targets dashboard's counting rules: each a query that reads and aggregates, never writes.

Written rules (content/data/targets.yaml holds the figures):
- a project counts as signed once, in the month of its signing (Project.signed_on), and only when
  its "signed" milestone is proven (an evidence kind and a reference or a stored file);
- under construction and in production count in the month of the proven milestone's day;
- signed investment is the project's investment at its signing, in the month of the signing; a
  later change (read from the audit trail) counts only as the difference, in the month recorded;
- months and years are the park's calendar (Asia/Shanghai), whatever the reader's zone.
Every figure comes from grouped SQL: the number of statements does not grow with the projects.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, case, extract, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from core import projects
from core.content import get_content
from core.extensions import db
from core.models import (
    ApprovalStep,
    AuditEntry,
    Lead,
    Project,
    ProjectMilestone,
)
from core.workdays import CHINA

MEASURES = ("signed", "construction", "production")


# The lead attributes the dashboard breaks leads and signed investment down by.
DIMENSIONS = ("source", "event_id", "country", "referrer_enterprise_id")


# -- the targets (content) ----------------------------------------------------------------------


@dataclass(frozen=True)
class YearTargets:
    year: int
    figures: dict[str, int]  # signed | construction | production -> target
    deadlines: dict[str, date]  # zone -> the day its projects must be under construction
    configured: bool  # False: the default figures applied to a year the file does not list


def _config() -> dict:
    return get_content()["targets"]


def targets_for(year: int) -> YearTargets:
    """The year's targets from content/data/targets.yaml (its default for a year not listed)."""
    config = _config()
    spec = (config.get("years") or {}).get(year)
    configured = spec is not None
    spec = spec or config["default"]
    deadlines = {}
    for zone, day in spec["deadlines"].items():
        if isinstance(day, date):
            deadlines[zone] = day
        else:  # "MM-DD" in the default block: that day of the year asked for
            month, _, dom = str(day).partition("-")
            deadlines[zone] = date(year, int(month), int(dom))
    return YearTargets(year, {m: int(spec[m]) for m in MEASURES}, deadlines, configured)


def measure_names() -> dict[str, dict]:
    return {m["code"]: m["name"] for m in _config()["measures"]}


def zone_rules() -> list[dict]:
    """[{code, rule: all | majority, description: {lang: text}}] in the file's order."""
    return list(_config()["zones"])


def major_thresholds() -> list[Decimal]:
    return sorted(Decimal(str(t)) for t in _config()["major_thresholds"])


def at_risk_days() -> int:
    return int(_config().get("at_risk_days", 30))


# -- calendar -------------------------------------------------------------------------------------


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The park's year as UTC instants [start, end), for columns holding UTC times."""
    start = datetime(year, 1, 1, tzinfo=CHINA).astimezone(UTC)
    return start, datetime(year + 1, 1, 1, tzinfo=CHINA).astimezone(UTC)


def park_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def cumulative(monthly: list) -> list:
    """Running totals of twelve monthly figures (None stays None: a month still to come)."""
    total, out = 0, []
    for value in monthly:
        if value is None:
            out.append(None)
            continue
        total += value
        out.append(total)
    return out


def in_year(column, year: int):
    return and_(column >= date(year, 1, 1), column < date(year + 1, 1, 1))


# -- the counting rules --------------------------------------------------------------------------


def proven(milestone=ProjectMilestone):
    """SQL for ProjectMilestone.proven: an evidence kind, and a reference or a stored file."""
    return and_(
        func.coalesce(milestone.evidence_kind, "") != "",
        or_(func.coalesce(milestone.reference, "") != "", func.coalesce(milestone.path, "") != ""),
    )


def signed_proof():
    """Project joined to its proven "signed" milestone: one row per project, never two."""
    signed = aliased(ProjectMilestone)
    return signed, and_(signed.project_id == Project.id, signed.stage == "signed", proven(signed))


def counted_signed(year: int):
    """A statement of the projects counted as signed in the year (proven, signed_on in the year)."""
    signed, on = signed_proof()
    return select(Project).join(signed, on).where(in_year(Project.signed_on, year))


def signed_by_month(year: int) -> tuple[list[int], list[Decimal]]:
    """Projects signed per month (each once, proven), and the sum of their current investment."""
    signed, on = signed_proof()
    month = extract("month", Project.signed_on)
    counts, amounts = [0] * 12, [Decimal(0)] * 12
    for m, n, amount in db.session.execute(
        select(month, func.count(Project.id), func.coalesce(func.sum(Project.investment), 0))
        .join(signed, on)
        .where(in_year(Project.signed_on, year))
        .group_by(month)
    ):
        counts[int(m) - 1], amounts[int(m) - 1] = int(n), Decimal(str(amount))
    return counts, amounts


def reached_by_month(year: int) -> dict[str, list[int]]:
    """Projects that reached construction and production per month: the proven milestone's day."""
    month = extract("month", ProjectMilestone.reached_on)
    found = {stage: [0] * 12 for stage in ("construction", "production")}
    for stage, m, n in db.session.execute(
        select(ProjectMilestone.stage, month, func.count(ProjectMilestone.id))
        .where(
            ProjectMilestone.stage.in_(found),
            proven(),
            in_year(ProjectMilestone.reached_on, year),
        )
        .group_by(ProjectMilestone.stage, month)
    ):
        found[stage][int(m) - 1] = int(n)
    return found


@dataclass(frozen=True)
class InvestmentChange:
    """A change of a counted project's investment after its signing day, from the audit trail."""

    project_id: int
    on: date  # the park's day it was recorded
    delta: Decimal
    signed_on: date
    lead: dict  # the lead's DIMENSIONS, for the breakdowns


def _amount(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def investment_changes(year: int) -> list[InvestmentChange]:
    """Changes recorded after the signing day of projects counted as signed (up to this year).

    A change on the signing day itself is part of the signing figure (the form filled in that
    day). Read from AuditEntry (entity "Project", changes["investment"] = [old, new]).
    """
    start, _ = year_bounds(year)
    old = AuditEntry.changes[("investment", 0)].as_string()
    new = AuditEntry.changes[("investment", 1)].as_string()
    # First the few audit entries that touch an investment, then their projects: two small
    # statements, whatever the planner guesses about the JSON condition.
    entries = db.session.execute(
        select(AuditEntry.entity_id, AuditEntry.at, old, new)
        .where(
            AuditEntry.entity_type == "Project",
            AuditEntry.at >= start,
            or_(old.is_not(None), new.is_not(None)),
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    if not entries:
        return []
    signed, on = signed_proof()
    counted = {
        project_id: (signed_on, dict(zip(DIMENSIONS, dims, strict=True)))
        for project_id, signed_on, *dims in db.session.execute(
            select(Project.id, Project.signed_on, *(getattr(Lead, d) for d in DIMENSIONS))
            .join(signed, on)
            .join(Lead, Lead.id == Project.lead_id)
            .where(
                Project.id.in_({e.entity_id for e in entries}),
                Project.signed_on < date(year + 1, 1, 1),
            )
        )
    }
    changes = []
    for project_id, at, before, after in entries:
        if project_id not in counted:
            continue
        signed_on, lead = counted[project_id]
        delta = _amount(after) - _amount(before)
        if delta and park_day(at) > signed_on:
            changes.append(InvestmentChange(project_id, park_day(at), delta, signed_on, lead))
    return changes


def signed_investment_by_month(
    year: int,
    amounts: list[Decimal] | None = None,
    changes: list[InvestmentChange] | None = None,
) -> list[Decimal]:
    """Investment signed per month: at signing, plus later changes only as their difference.

    The current investment of the month's signed projects, less their changes after signing
    (which the current figure includes), plus the changes recorded in the month.
    """
    if amounts is None:
        amounts = signed_by_month(year)[1]
    if changes is None:
        changes = investment_changes(year)
    monthly = list(amounts)
    for change in changes:
        if change.signed_on.year == year:
            monthly[change.signed_on.month - 1] -= change.delta
        if change.on.year == year:
            monthly[change.on.month - 1] += change.delta
    return monthly


@dataclass
class ZoneResult:
    zone: str
    rule: str  # all | majority
    deadline: date
    signed: int = 0
    started: int = 0  # under construction (proven) on or before the deadline

    @property
    def share(self) -> float | None:
        return self.started / self.signed if self.signed else None

    @property
    def met(self) -> bool | None:
        """None while the zone has no project signed in the year."""
        if not self.signed:
            return None
        if self.rule == "all":
            return self.started == self.signed
        return self.started * 2 > self.signed


def zone_deadlines(year: int) -> list[ZoneResult]:
    """Per zone: projects signed in the year, and how many started construction by its day."""
    goals = targets_for(year)
    results = {
        z["code"]: ZoneResult(z["code"], z["rule"], goals.deadlines[z["code"]])
        for z in zone_rules()
        if z["code"] in goals.deadlines
    }
    if not results:
        return []
    signed, on = signed_proof()
    built = aliased(ProjectMilestone)
    deadline = case(
        *((Project.zone == code, r.deadline) for code, r in results.items()), else_=None
    )
    in_time = and_(built.id.is_not(None), proven(built), built.reached_on <= deadline)
    for zone, n, started in db.session.execute(
        select(Project.zone, func.count(Project.id), func.sum(case((in_time, 1), else_=0)))
        .join(signed, on)
        .outerjoin(built, and_(built.project_id == Project.id, built.stage == "construction"))
        .where(in_year(Project.signed_on, year), Project.zone.in_(results))
        .group_by(Project.zone)
    ):
        results[zone].signed, results[zone].started = int(n), int(started or 0)
    return list(results.values())


def _lead_for_lists():
    """The lead columns project lists need (name, code name, scope), not its search text."""
    return joinedload(Project.lead).load_only(
        Lead.id, Lead.company_name, Lead.code_name, Lead.liaison_id, Lead.owner_id, Lead.team_id
    )


@dataclass
class Risk:
    project: Project
    deadline: date | None = None  # the construction deadline, when within the warning days
    days_left: int | None = None  # negative: past
    overdue_steps: int = 0


def at_risk(today: date | None = None) -> list[Risk]:
    """Signed projects whose construction deadline is near or past; projects with overdue steps.

    An overdue step is core.approvals.is_overdue in SQL: submitted, and due before today.
    """
    today = today or projects.park_today()
    near = today + timedelta(days=at_risk_days())
    overdue = dict(
        db.session.execute(
            select(ApprovalStep.project_id, func.count(ApprovalStep.id))
            .where(ApprovalStep.status == "submitted", ApprovalStep.due_on < today)
            .group_by(ApprovalStep.project_id)
        ).all()
    )
    late = and_(Project.stage == "signed", Project.construction_deadline <= near)
    found = db.session.scalars(
        select(Project)
        .where(or_(late, Project.id.in_(list(overdue))) if overdue else late)
        .options(_lead_for_lists())
        .order_by(
            Project.construction_deadline.is_(None), Project.construction_deadline, Project.id
        )
    ).all()
    risks = []
    for project in found:
        risk = Risk(project, overdue_steps=int(overdue.get(project.id, 0)))
        due = project.construction_deadline
        if project.stage == "signed" and due is not None and due <= near:
            risk.deadline, risk.days_left = due, (due - today).days
        risks.append(risk)
    return risks


def major_projects(year: int) -> dict[Decimal, list[Project]]:
    """Per threshold, the projects counted as signed in the year at or above it (largest first)."""
    thresholds = major_thresholds()
    found = db.session.scalars(
        counted_signed(year)
        .where(Project.investment >= thresholds[0])
        .options(_lead_for_lists())
        .order_by(Project.investment.desc(), Project.id)
    ).all()
    return {t: [p for p in found if p.investment >= t] for t in thresholds}
