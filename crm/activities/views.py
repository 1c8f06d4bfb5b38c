"""Logging activities on a lead, closing and editing tasks, and the panel on the lead file."""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.audit import record
from core.extensions import db
from core.models import Activity
from core.models.base import utcnow
from core.unit_of_work import saved
from crm.activities import bp
from crm.activities.forms import DIRECTION_LABELS, KIND_LABELS, ActivityForm
from crm.activities.records import (
    assignable_staff,
    lead_url,
    local_to_utc,
    log_activity,
    may_close,
    open_tasks,
    zone_of,
)
from crm.auth.signin import safe_next
from crm.permissions import can, get_lead_or_404, require

# A clock a few minutes fast on someone's phone is not "in the future".
FUTURE_SLACK = timedelta(minutes=5)
EDITABLE = ("subject", "body", "occurred_at", "due_at", "assignee_id")


bp.add_app_template_global(lead_url, "activity_lead_url")
bp.add_app_template_global(KIND_LABELS, "activity_kinds")


@bp.app_template_global()
def activity_panel(lead) -> dict:
    """What the lead file's activity panel needs, from the lead alone."""
    may_log = can("activity.create", lead)
    staff = assignable_staff(lead) if may_log else []
    mine = current_user.id in {u.id for u in staff}
    return {
        "may_log": may_log,
        "tasks": open_tasks(lead),
        "staff": staff,
        "default_assignee": current_user.id if mine else lead.owner_id,
        "kinds": KIND_LABELS,
        "directions": DIRECTION_LABELS,
        "may_close": lambda task: may_log and may_close(task, lead),
        "now": utcnow().astimezone(zone_of()).strftime("%Y-%m-%dT%H:%M"),
    }


def _times(form: ActivityForm, is_task: bool):
    """(occurred_at, due_at) in UTC, or an error message for the form."""
    now = utcnow()
    occurred = local_to_utc(form.occurred_at.data) if form.occurred_at.data else now
    if not is_task and occurred > now + FUTURE_SLACK:
        form.occurred_at.errors.append(gettext("This lies in the future; log it once it happened."))
        return None
    due = local_to_utc(form.due_at.data) if is_task and form.due_at.data else None
    return occurred, due


def _check_assignee(form: ActivityForm, staff_ids: set[int]) -> int | None:
    if form.assignee_id.data in staff_ids:
        return form.assignee_id.data
    form.assignee_id.errors.append(gettext("Choose someone who can see this lead."))
    return None


def _stale_lead_message() -> str:
    return gettext("This lead was changed by someone else just now. Please try again.")


@bp.route("/leads/<int:lead_id>/activities", methods=["GET", "POST"])
@require("activity.create")
def activity_new(lead_id: int):
    lead = get_lead_or_404(lead_id, "activity.create")
    staff = assignable_staff(lead)
    form = ActivityForm()
    form.assignee_id.choices = [SelectChoice(u.id, u.name) for u in staff]
    if request.method == "GET":
        kind = request.args.get("kind")
        form.kind.data = kind if kind in KIND_LABELS else "call"
        mine = current_user.id in {u.id for u in staff}
        form.assignee_id.data = current_user.id if mine else lead.owner_id
    elif form.validate():
        is_task = form.kind.data == "task"
        times = _times(form, is_task)
        assignee = _check_assignee(form, {u.id for u in staff}) if is_task else None
        if times and (assignee or not is_task):
            log_activity(
                lead,
                kind=form.kind.data,
                direction=form.direction.data if form.kind.data == "email" else None,
                subject=form.subject.data.strip(),
                body=(form.body.data or "").strip(),
                occurred_at=times[0],
                due_at=times[1],
                assignee_id=assignee,
            )
            if not saved():
                flash(_stale_lead_message(), "error")
                return redirect(lead_url(lead_id))
            flash(gettext("Activity logged."), "success")
            return redirect(lead_url(lead_id))
    status = 400 if request.method == "POST" else 200
    return render_template("crm/activities/form.html", form=form, lead=lead), status


def _task_for(activity_id: int, permission: str = "activity.create"):
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    lead = get_lead_or_404(activity.lead_id, permission)
    return activity, lead


def _version_matches(activity: Activity) -> bool:
    """The version the form was rendered with; a missing or garbled one counts as stale."""
    try:
        return int(request.form.get("version_id", "")) == activity.version_id
    except ValueError:
        return False


@bp.route("/activities/<int:activity_id>/done", methods=["POST"])
@require("activity.create")
def activity_done(activity_id: int):
    task, lead = _task_for(activity_id)
    if not task.is_task:
        abort(404)
    if not may_close(task, lead):
        abort(403)
    target = request.form.get("next")
    back = safe_next(target) if target else lead_url(lead.id)
    if task.done_at is not None:
        flash(gettext("This task was already marked done."), "info")
        return redirect(back)
    if not _version_matches(task):
        flash(gettext("This task was changed by someone else. Please check it again."), "error")
        return redirect(back)
    task.done_at = utcnow()
    record("update", task, {"done_at": [None, task.done_at]})
    if not saved():
        flash(gettext("This task was changed by someone else. Please check it again."), "error")
        return redirect(back)
    flash(gettext("Task marked done: %(subject)s", subject=task.subject), "success")
    return redirect(back)


def _unless_same_minute(typed, stored):
    """The form shows minutes only: an untouched time keeps its stored seconds."""
    if typed and stored and typed == stored.replace(second=0, microsecond=0):
        return stored
    return typed


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@require("activity.create")
def activity_edit(activity_id: int):
    """Correct an activity: its author, the lead's owner or a manager; version-checked."""
    activity, lead = _task_for(activity_id)
    if not (may_close(activity, lead) or activity.author_id == current_user.id):
        abort(403)
    staff = assignable_staff(lead)
    form = ActivityForm(obj=None if request.method == "POST" else activity)
    form.kind.data = activity.kind
    form.assignee_id.choices = [SelectChoice(u.id, u.name) for u in staff]
    if request.method == "GET":
        zone = zone_of()
        form.occurred_at.data = activity.occurred_at.astimezone(zone).replace(tzinfo=None)
        if activity.due_at:
            form.due_at.data = activity.due_at.astimezone(zone).replace(tzinfo=None)
        form.version_id.data = activity.version_id
        return render_template("crm/activities/edit.html", form=form, lead=lead, activity=activity)
    conflict = None
    if form.validate():
        if not _version_matches(activity):
            conflict = {name: getattr(activity, name) for name in EDITABLE}
        else:
            times = _times(form, activity.is_task)
            assignee = _check_assignee(form, {u.id for u in staff}) if activity.is_task else None
            if times and (assignee or not activity.is_task):
                new = {
                    "subject": form.subject.data.strip(),
                    "body": (form.body.data or "").strip(),
                    "occurred_at": _unless_same_minute(times[0], activity.occurred_at)
                    if form.occurred_at.data
                    else activity.occurred_at,
                    "due_at": _unless_same_minute(times[1], activity.due_at),
                    "assignee_id": assignee,
                }
                changes = {
                    name: [getattr(activity, name), value]
                    for name, value in new.items()
                    if getattr(activity, name) != value
                }
                for name, (_, value) in changes.items():
                    setattr(activity, name, value)
                if changes:
                    record("update", activity, changes)
                if not saved():
                    flash(gettext("This activity was changed by someone else."), "error")
                    return redirect(lead_url(lead.id))
                flash(gettext("Activity saved."), "success")
                return redirect(lead_url(lead.id))
    return (
        render_template(
            "crm/activities/edit.html", form=form, lead=lead, activity=activity, conflict=conflict
        ),
        409 if conflict else 400,
    )
