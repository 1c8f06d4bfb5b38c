"""The manager's follow-up view: overdue first responses, responses due today, unowned leads."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from core.extensions import db
from core.models import Lead
from core.models.base import utcnow
from core.settings import get as setting
from crm.permissions import require
from crm.pipeline import bp
from crm.pipeline.board import estimate

# Rows per section; the counts say how many more there are.
SECTION_LIMIT = 100


def end_of_today(now: datetime) -> datetime:
    """Midnight ahead in the staff member's own time zone."""
    try:
        zone = ZoneInfo(current_user.timezone)
    except (ValueError, KeyError):
        zone = ZoneInfo("Asia/Shanghai")
    local = now.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(0), zone)


def sections(now: datetime) -> list[dict]:
    open_lead = (Lead.merged_into_id.is_(None), Lead.stage != "lost")
    waiting = (*open_lead, Lead.first_response_at.is_(None))
    threshold = Decimal(str(setting("liaison_threshold_cny")))
    specs = [
        (
            "overdue",
            _l("First response overdue"),
            (*waiting, Lead.response_due_at < now),
            Lead.response_due_at,
        ),
        (
            "due_today",
            _l("First response due today"),
            (*waiting, Lead.response_due_at >= now, Lead.response_due_at < end_of_today(now)),
            Lead.response_due_at,
        ),
        (
            "unassigned",
            _l("Leads without an owner"),
            (*open_lead, Lead.stage != "signed", Lead.owner_id.is_(None)),
            Lead.created_at,
        ),
        (
            "no_liaison",
            _l("Major leads without a liaison leader"),
            (*open_lead, Lead.liaison_id.is_(None), estimate >= threshold),
            Lead.created_at,
        ),
    ]
    found = []
    for key, title, where, order in specs:
        total = db.session.scalar(select(func.count(Lead.id)).where(*where))
        leads = db.session.scalars(
            select(Lead)
            .options(joinedload(Lead.owner), joinedload(Lead.liaison))
            .where(*where)
            .order_by(order, Lead.id)
            .limit(SECTION_LIMIT)
        ).all()
        found.append({"key": key, "title": title, "total": total, "leads": leads})
    return found


@bp.route("/follow-up")
@require("lead.follow_up")
def follow_up():
    now = utcnow()
    return render_template("crm/pipeline/follow_up.html", sections=sections(now), now=now)
