"""The dashboard's lead figures: the funnel of the year's leads, time in stage, and the breakdowns
by source, event, country and referring enterprise (counting rules: core/targets.py)."""

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from sqlalchemy import Integer, and_, case, func, or_, select

from core.extensions import db
from core.models import LEAD_STAGES, Lead, Project, StageChange
from core.targets import (
    DIMENSIONS,
    InvestmentChange,
    in_year,
    investment_changes,
    signed_proof,
    year_bounds,
)

# The funnel's stages in order (Lost is where a lead leaves it, not a step of it).
FUNNEL_STAGES = LEAD_STAGES[:-1]
STAGE_RANK = {stage: rank for rank, stage in enumerate(FUNNEL_STAGES)}


# -- the lead funnel -----------------------------------------------------------------------------


def _cohort(year: int) -> tuple:
    start, end = year_bounds(year)
    return (Lead.created_at >= start, Lead.created_at < end, Lead.merged_into_id.is_(None))


@dataclass(frozen=True)
class LeadFlow:
    """The funnel of the year's leads and how long they stayed in each stage."""

    reached: list[int]  # per FUNNEL_STAGES: leads that reached that stage or a later one
    stays: dict[str, tuple[int, float]]  # stage -> (stays that ended, median days)


def _hours(later, earlier):
    """Whole hours between two UTC times, rounded (the stays' histogram buckets)."""
    if db.engine.dialect.name == "sqlite":
        return func.cast(
            func.round((func.julianday(later) - func.julianday(earlier)) * 24), Integer
        )
    return func.cast(func.round(func.date_part("epoch", later - earlier) / 3600.0), Integer)


def _median(histogram: list[tuple[int, int]]) -> tuple[int, float]:
    """(count, median) of values given as sorted (value, how many) pairs."""
    total = sum(n for _, n in histogram)
    wanted = {(total + 1) // 2, (total + 2) // 2}  # the middle one, or the two middle ones
    found, seen = [], 0
    for value, n in histogram:
        found += [value] * len({w for w in wanted if seen < w <= seen + n})
        seen += n
    return total, sum(found) / len(found)


def _reach(stage: str, came_from: str | None, now: str | None) -> int:
    """The furthest stage of a lead whose history only moved forward (then perhaps to Lost): its
    last stage, or the one it was lost from; its current stage if further; New at least."""
    last = STAGE_RANK.get((came_from or "") if stage == "lost" else stage, -1)
    return max(0, last, STAGE_RANK.get(now or "", -1))


def lead_flow(year: int) -> LeadFlow:
    """Leads created in the year: the furthest stage each reached, and the stays in each stage.

    Reached: the furthest stage in the lead's stage changes (its current stage if further; every
    lead reached New). A stay runs from a change to the lead's next one; a lead still in a stage
    is left out of that stage; the median is exact to the hour. One windowed pass returns the
    stays as a histogram of hours and each lead's last change; for the few leads that ever went
    back (a lower stage, or reopened after Lost) a second statement reads their whole history.
    """
    start = year_bounds(year)[0]
    order = (StageChange.at, StageChange.id)
    following = func.lead(StageChange.at).over(partition_by=StageChange.lead_id, order_by=order)
    last = following.is_(None)
    rank_to = case(STAGE_RANK, value=StageChange.to_stage, else_=-1)
    rank_from = case(STAGE_RANK, value=StageChange.from_stage, else_=-1)
    went_back = or_(
        StageChange.from_stage == "lost",
        and_(
            StageChange.to_stage != "lost", StageChange.from_stage.is_not(None), rank_to < rank_from
        ),
    )
    rows = (
        select(
            StageChange.to_stage.label("stage"),
            _hours(following, StageChange.at).label("hours"),
            case((last, func.coalesce(StageChange.from_stage, "")), else_=None).label("came_from"),
            case((last, Lead.stage), else_=None).label("now"),
            case((went_back, StageChange.lead_id), else_=None).label("back"),
        )
        .join(Lead, Lead.id == StageChange.lead_id)
        # A lead's changes come after its creation: the index on the time narrows the scan.
        .where(*_cohort(year), StageChange.at >= start)
        .subquery()
    )
    keys = (rows.c.stage, rows.c.hours, rows.c.came_from, rows.c.now, rows.c.back)
    tops: dict[int, int] = {}
    histograms: dict[str, dict[int, int]] = {}
    went_back_ids = set()
    for stage, hours, came_from, now, back, n in db.session.execute(
        select(*keys, func.count()).group_by(*keys)
    ):
        if hours is not None and stage in STAGE_RANK:
            found = histograms.setdefault(stage, {})
            found[int(hours)] = found.get(int(hours), 0) + int(n)
        if came_from is not None:  # the lead's last change: one per lead
            reach = _reach(stage, came_from, now)
            tops[reach] = tops.get(reach, 0) + int(n)
        if back is not None:
            went_back_ids.add(back)
    ids = sorted(went_back_ids)
    for chunk in (ids[i : i + 5000] for i in range(0, len(ids), 5000)):
        history = db.session.execute(
            select(StageChange.lead_id, StageChange.to_stage, StageChange.from_stage, Lead.stage)
            .join(Lead, Lead.id == StageChange.lead_id)
            .where(StageChange.lead_id.in_(chunk), StageChange.at >= start)
            .order_by(StageChange.lead_id, *order)
        )
        for _, changes in groupby(history, key=lambda row: row[0]):
            changes = list(changes)
            _, stage, came_from, now = changes[-1]
            counted = _reach(stage, came_from, now)
            furthest = max(counted, *(STAGE_RANK.get(c[1], -1) for c in changes))
            tops[counted] -= 1
            tops[furthest] = tops.get(furthest, 0) + 1
    reached = [sum(n for top, n in tops.items() if top >= r) for r in STAGE_RANK.values()]
    medians = {}
    for stage, histogram in histograms.items():
        total, hours = _median(sorted(histogram.items()))
        medians[stage] = (total, hours / 24)
    return LeadFlow(reached, medians)


def funnel(year: int) -> list[int]:
    """Leads created in the year that reached each funnel stage (that stage or a later one)."""
    return lead_flow(year).reached


def median_days_in_stage(year: int) -> dict[str, tuple[int, float]]:
    """Per stage: stays that ended (the lead moved on) and their median length in days."""
    return lead_flow(year).stays


@dataclass
class Breakdown:
    leads: int = 0
    signed: int = 0
    investment: Decimal = field(default_factory=lambda: Decimal(0))


def breakdowns(
    year: int, changes: list[InvestmentChange] | None = None
) -> dict[str, dict[object, Breakdown]]:
    """Per dimension (source, event, country, referring enterprise) and value: leads created in
    the year, projects counted as signed in it, and their signed investment (same rule as the
    monthly figure). Two grouped statements for all four dimensions."""
    if changes is None:
        changes = investment_changes(year)
    out: dict[str, dict[object, Breakdown]] = {d: {} for d in DIMENSIONS}
    columns = [getattr(Lead, d) for d in DIMENSIONS]
    for *keys, n in db.session.execute(
        select(*columns, func.count(Lead.id)).where(*_cohort(year)).group_by(*columns)
    ):
        for dimension, key in zip(DIMENSIONS, keys, strict=True):
            out[dimension].setdefault(key, Breakdown()).leads += int(n)
    signed, on = signed_proof()
    for *keys, n, amount in db.session.execute(
        select(*columns, func.count(Project.id), func.coalesce(func.sum(Project.investment), 0))
        .join(signed, on)
        .join(Lead, Lead.id == Project.lead_id)
        .where(in_year(Project.signed_on, year))
        .group_by(*columns)
    ):
        for dimension, key in zip(DIMENSIONS, keys, strict=True):
            row = out[dimension].setdefault(key, Breakdown())
            row.signed += int(n)
            row.investment += Decimal(str(amount))
    for change in changes:
        delta = (change.delta if change.on.year == year else 0) - (
            change.delta if change.signed_on.year == year else 0
        )
        if delta:
            for dimension in DIMENSIONS:
                out[dimension].setdefault(change.lead[dimension], Breakdown()).investment += delta
    return out
