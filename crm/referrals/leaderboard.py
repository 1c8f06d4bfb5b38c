"""The yearly referral leaderboard per enterprise (for the commendation list), and its export."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import abort, render_template, request
from flask_babel import gettext
from sqlalchemy import and_, case, func, or_, select

from core.exports import download
from core.extensions import db
from core.models import Enterprise, Lead, Project, ProjectMilestone, Referral, StageChange
from crm.permissions import allowed, require
from crm.referrals import bp

# The commendation year is the park's calendar year, wherever the reader is.
PARK_ZONE = ZoneInfo("Asia/Shanghai")
FORMATS = ("csv", "xlsx")
# Years a person could mean; anything else in the URL is a mistake, not a query.
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass
class Row:
    enterprise: Enterprise | None
    made: int = 0
    accepted: int = 0
    signed: int = 0
    investment: Decimal = Decimal(0)
    production: int = 0


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The year's first moment and the next year's, in UTC (the database's times)."""
    start = datetime(year, 1, 1, tzinfo=PARK_ZONE).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=PARK_ZONE).astimezone(UTC)
    return start, end


def this_year() -> int:
    return datetime.now(PARK_ZONE).year


def years_offered() -> list[int]:
    """From the first year with a referral to this year (or the last one with a referral)."""
    first, last = db.session.execute(
        select(func.min(Referral.created_at), func.max(Referral.created_at))
    ).one()
    years = {this_year()}
    if first is not None:
        years.update(range(first.astimezone(PARK_ZONE).year, last.astimezone(PARK_ZONE).year + 1))
    return sorted(years, reverse=True)


def leaderboard(year: int) -> tuple[list[Row], Row]:
    """Rows for every enterprise with activity in the year (best first), and the totals.

    Three grouped queries whatever the number of enterprises: referrals, signed leads, names.
    """
    start, end = year_bounds(year)
    made_in = and_(Referral.created_at >= start, Referral.created_at < end)
    accepted_in = and_(
        Referral.decision == "accepted", Referral.decided_at >= start, Referral.decided_at < end
    )

    def tally(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows: dict[int, Row] = {}
    for enterprise_id, made, accepted in db.session.execute(
        select(Referral.enterprise_id, tally(made_in), tally(accepted_in))
        .where(or_(made_in, accepted_in))
        .group_by(Referral.enterprise_id)
    ):
        rows[enterprise_id] = Row(None, made=int(made), accepted=int(accepted))
    # A lead signed twice in the year (signed, back to negotiation, signed) counts once.
    signed_in = (
        select(StageChange.lead_id)
        .where(StageChange.to_stage == "signed", StageChange.at >= start, StageChange.at < end)
        .distinct()
        .subquery()
    )
    for enterprise_id, signed, amount in db.session.execute(
        select(
            Lead.referrer_enterprise_id,
            func.count(Lead.id),
            func.coalesce(func.sum(func.coalesce(Lead.planned_investment, Lead.investment_min)), 0),
        )
        .join(signed_in, signed_in.c.lead_id == Lead.id)
        .where(Lead.referrer_enterprise_id.is_not(None), Lead.merged_into_id.is_(None))
        .group_by(Lead.referrer_enterprise_id)
    ):
        row = rows.setdefault(enterprise_id, Row(None))
        row.signed, row.investment = int(signed), Decimal(str(amount or 0))
    # Credit follows the lead to its project: production reached in the year, with its proof.
    for enterprise_id, producing in db.session.execute(
        select(Lead.referrer_enterprise_id, func.count(Project.id))
        .join(Project, Project.lead_id == Lead.id)
        .join(ProjectMilestone, ProjectMilestone.project_id == Project.id)
        .where(
            Lead.referrer_enterprise_id.is_not(None),
            ProjectMilestone.stage == "production",
            ProjectMilestone.evidence_kind.is_not(None),
            ProjectMilestone.reached_on >= date(year, 1, 1),
            ProjectMilestone.reached_on < date(year + 1, 1, 1),
        )
        .group_by(Lead.referrer_enterprise_id)
    ):
        rows.setdefault(enterprise_id, Row(None)).production = int(producing)
    if rows:
        for enterprise in db.session.scalars(select(Enterprise).where(Enterprise.id.in_(rows))):
            rows[enterprise.id].enterprise = enterprise
    ranked = sorted(
        (row for row in rows.values() if row.enterprise is not None),
        key=lambda r: (-r.production, -r.signed, -r.accepted, -r.made, r.enterprise.name),
    )
    totals = Row(
        None,
        made=sum(r.made for r in ranked),
        accepted=sum(r.accepted for r in ranked),
        signed=sum(r.signed for r in ranked),
        investment=sum((r.investment for r in ranked), Decimal(0)),
        production=sum(r.production for r in ranked),
    )
    return ranked, totals


def _year() -> int | None:
    """The year asked for; None when the URL holds something that is not a year we can show."""
    raw = request.args.get("year", "")
    if not raw:
        return this_year()
    if len(raw) != 4 or not (raw.isascii() and raw.isdigit()):
        return None
    if not FIRST_YEAR <= int(raw) <= LAST_YEAR:
        return None
    return int(raw)


@bp.route("/referrals/leaderboard")
@require("referral.leaderboard")
def referral_leaderboard():
    offered = years_offered()
    year = _year()
    problem = None
    if year is None:
        problem = gettext("Choose a year from the list.")
        year = this_year()
    if year not in offered:
        offered = sorted({*offered, year}, reverse=True)
    rows, totals = leaderboard(year)
    return render_template(
        "crm/referrals/leaderboard.html",
        year=year,
        years=offered,
        rows=rows,
        totals=totals,
        problem=problem,
        may_queue=allowed("referral.view"),
    ), (400 if problem else 200)


def _header() -> list[str]:
    return [
        gettext("Rank"),
        gettext("Enterprise"),
        gettext("Enterprise (Latin letters)"),
        gettext("Referrals made"),
        gettext("Accepted"),
        gettext("Signed"),
        gettext("Planned investment brought (CNY)"),
        gettext("Projects in production"),
    ]


@bp.route("/referrals/leaderboard.<fmt>")
@require("referral.leaderboard")
def referral_leaderboard_export(fmt: str):
    if fmt not in FORMATS:
        abort(404)
    year = _year()
    if year is None:
        abort(400)
    rows, totals = leaderboard(year)
    table = [
        [
            rank,
            row.enterprise.name,
            row.enterprise.name_latin,
            row.made,
            row.accepted,
            row.signed,
            row.investment,
            row.production,
        ]
        for rank, row in enumerate(rows, start=1)
    ]
    table.append(
        [
            None,
            gettext("Total"),
            "",
            totals.made,
            totals.accepted,
            totals.signed,
            totals.investment,
            totals.production,
        ]
    )
    return download(fmt, f"referral-leaderboard-{year}.{fmt}", _header(), table)
