"""Shared rules for activities: contact timestamps, who may be assigned or close a task, times."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import notifications
from core.audit import record
from core.extensions import db
from core.models import Activity, Lead, User
from core.models.base import utcnow
from crm.permissions import can

# Kinds that reach the investor: logging one stops the first-response clock.
CONTACT_KINDS = ("call", "meeting", "site_visit")
ASSIGNABLE_ROLES = ("officer", "manager")
SUBJECT_MAX = 200
BODY_MAX = 10_000


def is_contact(kind: str, direction: str | None) -> bool:
    return kind in CONTACT_KINDS or (kind == "email" and direction == "out")


def zone_of(user: User | None = None) -> ZoneInfo:
    user = user or current_user
    try:
        return ZoneInfo(user.timezone or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def local_to_utc(value: datetime, user: User | None = None) -> datetime:
    """A wall-clock time typed by the user, read in their own time zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone_of(user))
    return value.astimezone(UTC)


def lead_url(lead_id: int, *, external_base: str | None = None) -> str:
    """The lead file's address; absolute when a base URL is given (emails)."""
    path = (
        url_for("crm.leads.lead", lead_id=lead_id)
        if "crm.leads.lead" in current_app.view_functions and external_base is None
        else f"/crm/leads/{lead_id}"
    )
    return f"{external_base.rstrip('/')}{path}" if external_base else path


def assignable_staff(lead: Lead) -> list[User]:
    """Active officers and managers who can see the lead, the only ones a task may go to."""
    users = db.session.scalars(
        select(User)
        .where(User.active.is_(True), User.role.in_(ASSIGNABLE_ROLES))
        .order_by(User.name, User.id)
    ).all()
    return [u for u in users if can("lead.view", lead, user=u)]


def may_close(task: Activity, lead: Lead, user: User | None = None) -> bool:
    user = user or current_user
    return user.role in ("admin", "manager") or user.id in (task.assignee_id, lead.owner_id)


def open_tasks(lead: Lead) -> list[Activity]:
    return db.session.scalars(
        select(Activity)
        .where(Activity.lead_id == lead.id, Activity.kind == "task", Activity.done_at.is_(None))
        .options(selectinload(Activity.assignee))
        .order_by(Activity.due_at, Activity.id)
    ).all()


def log_activity(lead: Lead, **fields) -> Activity:
    """Add an activity with its one audit entry; a contact also moves the lead's clocks."""
    activity = Activity(lead_id=lead.id, author_id=current_user.id, **fields)
    activity.occurred_at = activity.occurred_at or utcnow()
    db.session.add(activity)
    changes = {
        name: [None, getattr(activity, name)]
        for name in ("kind", "direction", "subject", "occurred_at", "due_at", "assignee_id")
        if getattr(activity, name) is not None
    }
    if is_contact(activity.kind, activity.direction):
        when = activity.occurred_at
        if lead.last_contact_at is None or when > lead.last_contact_at:
            changes["lead.last_contact_at"] = [lead.last_contact_at, when]
            lead.last_contact_at = when
        if lead.first_response_at is None:
            changes["lead.first_response_at"] = [None, when]
            lead.first_response_at = when
    db.session.flush()
    record("create", activity, changes)
    # A note or other activity naming a colleague (@name) tells them; a mail's text is the
    # investor's conversation, not a message to colleagues.
    if activity.kind != "email":
        notifications.mentioned_in(f"{activity.subject}\n{activity.body}", lead, current_user)
    return activity
