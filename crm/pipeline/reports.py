"""Pipeline reports from the stage history: conversion between stages and time in each stage."""

from datetime import date, datetime, time, timedelta
from statistics import mean, median
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_babel import format_percent, gettext
from flask_login import current_user
from sqlalchemy import func, select

from core import lead_flow
from core.extensions import db
from core.models import FORWARD_STAGES, Lead, StageChange
from core.models.base import utcnow
from crm.permissions import require
from crm.pipeline import bp
from crm.pipeline.shared import stage_label

DEFAULT_DAYS = 90


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(current_user.timezone)
    except (ValueError, KeyError):
        return ZoneInfo("Asia/Shanghai")


def read_period(args) -> tuple[date, date, list[str]]:
    """The chosen period (inclusive days), defaulting to the last 90 days; bad dates named."""
    today = utcnow().astimezone(_zone()).date()
    start, end = today - timedelta(days=DEFAULT_DAYS - 1), today
    problems = []
    chosen = {}
    for key, label in (("start", gettext("From")), ("end", gettext("To"))):
        raw = args.get(key, "").strip()
        if not raw:
            continue
        try:
            chosen[key] = date.fromisoformat(raw[:10])
        except ValueError:
            problems.append(gettext("%(field)s: not a date; ignored.", field=label))
    start, end = chosen.get("start", start), chosen.get("end", end)
    if start > end:
        problems.append(gettext("The period ends before it starts; showing the last 90 days."))
        start, end = today - timedelta(days=DEFAULT_DAYS - 1), today
    return start, end, problems


def cohort(start: date, end: date) -> tuple:
    zone = _zone()
    since = datetime.combine(start, time(0), zone)
    until = datetime.combine(end + timedelta(days=1), time(0), zone)
    return (Lead.created_at >= since, Lead.created_at < until, Lead.merged_into_id.is_(None))


def conversion(where: tuple) -> list[dict]:
    """Leads that reached each stage, and the share of them that reached the next one."""
    reached = lead_flow.reached(where)
    rows = []
    for rank, stage in enumerate(FORWARD_STAGES):
        following = reached[rank + 1] if rank + 1 < len(reached) else None
        rows.append(
            {
                "stage": stage,
                "label": stage_label(stage),
                "reached": reached[rank],
                "next_label": stage_label(FORWARD_STAGES[rank + 1])
                if following is not None
                else "",
                "rate": (
                    format_percent(following / reached[rank], "#,##0.0%")
                    if following is not None and reached[rank]
                    else None
                ),
            }
        )
    return rows


def time_in_stage(where: tuple) -> list[dict]:
    """Average and median days a lead stayed in each stage before it moved on."""
    stays: dict[str, list[float]] = {}
    history = select(StageChange.to_stage, StageChange.at, StageChange.ended_at).join(
        Lead, Lead.id == StageChange.lead_id
    )
    for stage, entered, left in db.session.execute(
        history.where(*where, StageChange.ended_at.is_not(None))
    ):
        stays.setdefault(stage, []).append((left - entered) / timedelta(days=1))
    return [
        {
            "stage": stage,
            "label": stage_label(stage),
            "count": len(stays.get(stage, [])),
            "average": mean(stays[stage]) if stays.get(stage) else None,
            "median": median(stays[stage]) if stays.get(stage) else None,
        }
        for stage in FORWARD_STAGES[:-1]
    ]


@bp.route("/pipeline/report")
@require("report.view")
def pipeline_report():
    start, end, problems = read_period(request.args)
    where = cohort(start, end)
    created = db.session.scalar(select(func.count(Lead.id)).where(*where))
    lost = db.session.scalar(select(func.count(Lead.id)).where(*where, Lead.stage == "lost"))
    return render_template(
        "crm/pipeline/report.html",
        start=start,
        end=end,
        problems=problems,
        created=created,
        lost=lost,
        conversion=conversion(where),
        stays=time_in_stage(where),
    )
