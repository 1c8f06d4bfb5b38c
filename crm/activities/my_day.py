"""My day: an officer's visits and meetings today, overdue and due tasks, unanswered new leads
and leads gone quiet."""

from datetime import datetime, time, timedelta

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.appointments import calendar_of
from core.extensions import db
from core.models import Activity, Lead, User
from core.models.base import utcnow
from crm.activities import bp
from crm.activities.records import zone_of
from crm.permissions import require, visible_leads

QUIET_DAYS = 14
BUCKET_LIMIT = 100
CLOSED_STAGES = ("signed", "lost")


def _live_leads():
    return (Lead.merged_into_id.is_(None), Lead.anonymised_at.is_(None))


def _open_tasks(user: User) -> tuple:
    return (
        Activity.kind == "task",
        Activity.assignee_id == user.id,
        Activity.done_at.is_(None),
        visible_leads(user),
        *_live_leads(),
    )


def open_tasks_of(user: User, due_before: datetime):
    """The user's open tasks due before a moment, oldest first, with their leads."""
    return db.session.execute(
        select(Activity, Lead)
        .join(Lead, Activity.lead_id == Lead.id)
        .where(*_open_tasks(user), Activity.due_at < due_before)
        .order_by(Activity.due_at, Activity.id)
        .limit(BUCKET_LIMIT)
    ).all()


def _unanswered(user: User) -> tuple:
    return (
        Lead.owner_id == user.id,
        Lead.first_response_at.is_(None),
        Lead.stage.not_in(CLOSED_STAGES),
        *_live_leads(),
    )


def unanswered_leads_of(user: User, due_before: datetime | None = None):
    """Open leads the user owns with no response yet, earliest deadline first."""
    query = (
        select(Lead)
        .where(*_unanswered(user))
        .options(selectinload(Lead.contacts))
        .order_by(Lead.response_due_at.is_(None), Lead.response_due_at, Lead.id)
        .limit(BUCKET_LIMIT)
    )
    if due_before is not None:
        query = query.where(Lead.response_due_at < due_before)
    return db.session.scalars(query).all()


def _count(*where, join_lead: bool = False) -> int:
    """A bucket's true total: the lists show at most BUCKET_LIMIT, the headings count them all."""
    statement = select(func.count()).select_from(Activity if join_lead else Lead)
    if join_lead:
        statement = statement.join(Lead, Activity.lead_id == Lead.id)
    return db.session.scalar(statement.where(*where))


def day_bounds(user: User, now: datetime) -> tuple[datetime, datetime]:
    """Start and end of the user's calendar day, as UTC moments."""
    zone = zone_of(user)
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time.min, tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


@bp.route("/my-day")
@require("crm.use")
def my_day():
    now = utcnow()
    start_of_day, end_of_day = day_bounds(current_user, now)
    due = open_tasks_of(current_user, end_of_day)
    overdue_tasks = [(task, lead) for task, lead in due if task.due_at < now]
    today_tasks = [(task, lead) for task, lead in due if task.due_at >= now]
    quiet_since = now - timedelta(days=QUIET_DAYS)
    last_touch = func.coalesce(Lead.last_contact_at, Lead.first_response_at)
    quiet_where = (
        Lead.owner_id == current_user.id,
        Lead.first_response_at.is_not(None),
        last_touch < quiet_since,
        Lead.stage.not_in(CLOSED_STAGES),
        visible_leads(),
        *_live_leads(),
    )
    quiet = db.session.scalars(
        select(Lead).where(*quiet_where).order_by(last_touch, Lead.id).limit(BUCKET_LIMIT)
    ).all()
    tasks = _open_tasks(current_user)
    totals = {
        "overdue": _count(*tasks, Activity.due_at < now, join_lead=True),
        "today": _count(*tasks, Activity.due_at >= now, Activity.due_at < end_of_day,
                        join_lead=True),
        "unanswered": _count(*_unanswered(current_user)),
        "quiet": _count(*quiet_where),
    }  # fmt: skip
    return render_template(
        "crm/activities/my_day.html",
        now=now,
        appointments=calendar_of(current_user, start_of_day, end_of_day),
        overdue_tasks=overdue_tasks,
        today_tasks=today_tasks,
        unanswered=unanswered_leads_of(current_user),
        quiet=quiet,
        totals=totals,
    )
