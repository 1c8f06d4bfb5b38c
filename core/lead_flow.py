"""Lead figures: the funnel and time in stage of a set of leads, counted from what core/leads.py
keeps of their history (the dashboard's year, the pipeline report's period), and the dashboard's
breakdowns by source, event, country and referring enterprise (counting rules: core/targets.py)."""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Integer, func, select

from core.extensions import db
from core.models import FORWARD_RANK, Lead, Project, StageChange
from core.targets import (
    DIMENSIONS,
    InvestmentChange,
    in_year,
    investment_changes,
    signed_proof,
    year_bounds,
)

# -- the lead funnel -----------------------------------------------------------------------------


def _cohort(year: int) -> tuple:
    start, end = year_bounds(year)
    return (Lead.created_at >= start, Lead.created_at < end, Lead.merged_into_id.is_(None))


@dataclass(frozen=True)
class LeadFlow:
    """The funnel of the year's leads and how long they stayed in each stage."""

    reached: list[int]  # per FORWARD_STAGES: leads that reached that stage or a later one
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


def reached(where: tuple) -> list[int]:
    """Per FORWARD_STAGES: the leads matching `where` that reached that stage or a later one."""
    tops = dict(
        db.session.execute(
            select(Lead.furthest_stage, func.count()).where(*where).group_by(Lead.furthest_stage)
        ).all()
    )
    return [
        sum(n for stage, n in tops.items() if FORWARD_RANK.get(stage, 0) >= rank)
        for rank in FORWARD_RANK.values()
    ]


def stays(where: tuple, since) -> dict[str, tuple[int, float]]:
    """Per forward stage: the stays of leads matching `where` that ended (the lead moved on) and
    their median in days, exact to the hour. A lead still in a stage is left out of it."""
    hours = _hours(StageChange.ended_at, StageChange.at).label("hours")
    histograms: dict[str, list[tuple[int, int]]] = {}
    for stage, length, n in db.session.execute(
        select(StageChange.to_stage, hours, func.count())
        .join(Lead, Lead.id == StageChange.lead_id)
        # A lead's changes come after its creation: the index on the time narrows the scan.
        .where(*where, StageChange.at >= since, StageChange.ended_at.is_not(None))
        .group_by(StageChange.to_stage, hours)
        .order_by(StageChange.to_stage, hours)
    ):
        if stage in FORWARD_RANK:
            histograms.setdefault(stage, []).append((int(length), int(n)))
    medians = {}
    for stage, histogram in histograms.items():
        total, median = _median(histogram)
        medians[stage] = (total, median / 24)
    return medians


def lead_flow(year: int) -> LeadFlow:
    """Leads created in the year: the furthest stage each reached, and the stays in each stage
    (from what core/leads.py keeps of each lead's history: two grouped counts)."""
    return LeadFlow(reached(_cohort(year)), stays(_cohort(year), year_bounds(year)[0]))


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
