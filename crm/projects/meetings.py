"""Coordination meetings of a project: minutes, decisions, action items and when they were done."""

from dataclasses import dataclass
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified

from core.audit import record
from core.extensions import db
from core.i18n import date as date_text
from core.models import ActionItem, Meeting, Project
from core.projects import park_today
from core.unit_of_work import saved
from crm.conflicts import arm, refuse
from crm.permissions import MAX_ID, allowed, require
from crm.projects import bp, company, get_project_or_404
from crm.projects.file_forms import MEETING_FIELDS, MeetingForm

# Characters of a meeting's decisions shown in the project page's list.
EXCERPT = 160
CONFLICT = _l(
    "This meeting was changed by someone else while you were editing. Nothing was saved. "
    "Compare the values below; save again to keep yours."
)


def excerpt(text: str, length: int = EXCERPT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


@dataclass(frozen=True)
class Action:
    item: ActionItem
    owner: str
    overdue: bool


def _action(item: ActionItem, today: date) -> Action:
    owner = item.owner.name if item.owner else item.owner_name
    overdue = item.done_on is None and item.due_on is not None and item.due_on < today
    return Action(item, owner, overdue)


def meetings_panel(project: Project) -> dict:
    """What the project page's meetings part shows (the page already checked the scope)."""
    today = park_today()
    meetings = db.session.scalars(
        select(Meeting)
        .where(Meeting.project_id == project.id)
        .options(selectinload(Meeting.actions))
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
    ).all()
    # Open items of every meeting, the most pressing first; those without a due day last.
    open_items = db.session.scalars(
        select(ActionItem)
        .where(ActionItem.project_id == project.id, ActionItem.done_on.is_(None))
        .options(joinedload(ActionItem.owner))
        .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
    ).all()
    return {
        "meetings": [
            (m, excerpt(m.decisions), sum(1 for a in m.actions if a.done_on is None))
            for m in meetings
        ],
        "open_actions": [_action(item, today) for item in open_items],
        "may_file": allowed("project.file"),
    }


@bp.app_context_processor
def meetings_helper():
    # The project page shows the part without its view knowing about meetings.
    return {"project_meetings": meetings_panel}


def _meeting_or_404(project: Project, meeting_id: int) -> Meeting:
    """A meeting of this project; one of another project is 404, as if it did not exist."""
    if not 0 < meeting_id <= MAX_ID:
        abort(404)
    meeting = db.session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id, Meeting.project_id == project.id)
        .options(selectinload(Meeting.actions).joinedload(ActionItem.owner))
    )
    if meeting is None:
        abort(404)
    return meeting


def _current(meeting: Meeting) -> dict:
    return {name: getattr(meeting, name) for name in MEETING_FIELDS}


def _shown(values: dict) -> dict[str, str]:
    """Values as plain text, to spot what someone else changed meanwhile."""
    return {
        name: date_text(value) if hasattr(value, "isoformat") else (value or "")
        for name, value in values.items()
    }


def _render(
    project: Project, meeting: Meeting | None, form: MeetingForm | None, status=200, conflicts=None
):
    today = park_today()
    return (
        render_template(
            "crm/projects/meeting.html",
            project=project,
            meeting=meeting,
            form=form,
            company=company(project.lead),
            actions=[_action(a, today) for a in meeting.actions] if meeting else [],
            problems=form.problems() if form else [],
            today=today,
            may_file=allowed("project.file"),
            labels={f.name: str(f.label.text) for f in form} if form else {},
            conflicts=conflicts or [],
            conflict_message=str(CONFLICT) if conflicts is not None else "",
        ),
        status,
    )


def _add_actions(project: Project, meeting: Meeting, rows: list[dict]) -> None:
    for values in rows:
        item = ActionItem(meeting=meeting, project_id=project.id, **values)
        db.session.add(item)
        changes = {name: [None, value] for name, value in values.items() if value}
        record("create", item, {"meeting": [None, meeting.id], **changes})


def _back_to(project: Project):
    return redirect(url_for("crm.projects.project", project_id=project.id) + "#meetings-title")


@bp.route("/projects/<int:project_id>/meetings/new", methods=["GET", "POST"])
@require("project.file")
def project_meeting_new(project_id: int):
    project = get_project_or_404(project_id, "project.file")
    form = MeetingForm()
    form.fill_choices()
    if request.method == "GET":
        form.held_on.data = park_today()
        return _render(project, None, form)
    if not form.validate_on_submit():
        return _render(project, None, form, 422)
    values = form.values()
    meeting = Meeting(project_id=project.id, created_by_id=current_user.id, **values)
    db.session.add(meeting)
    created = {name: [None, value] for name, value in values.items() if value}
    record("create", meeting, {"project": [None, project.id], **created})
    _add_actions(project, meeting, form.new_actions())
    db.session.flush()
    flash(gettext("The meeting was recorded."), "success")
    return _back_to(project)


# One address, two routes: leaders (project.view) read a meeting; only project.file may change it.
@bp.route("/projects/<int:project_id>/meetings/<int:meeting_id>", methods=["GET"])
@require("project.view")
def project_meeting(project_id: int, meeting_id: int):
    project = get_project_or_404(project_id)
    meeting = _meeting_or_404(project, meeting_id)
    form = None
    if allowed("project.file"):
        form = MeetingForm()
        form.fill_choices()
        for name in MEETING_FIELDS:
            getattr(form, name).data = getattr(meeting, name)
        arm(form, meeting.version_id, _shown(_current(meeting)))
    return _render(project, meeting, form)


@bp.route("/projects/<int:project_id>/meetings/<int:meeting_id>", methods=["POST"])
@require("project.file")
def project_meeting_save(project_id: int, meeting_id: int):
    project = get_project_or_404(project_id, "project.file")
    meeting = _meeting_or_404(project, meeting_id)
    form = MeetingForm()
    form.fill_choices()
    if not form.validate_on_submit():
        return _render(project, meeting, form, 422)
    values = form.values()
    if form.version.data == str(meeting.version_id):
        old_values = _current(meeting)
        changes = {k: [old_values[k], v] for k, v in values.items() if old_values[k] != v}
        rows = form.new_actions()
        if not changes and not rows:
            flash(gettext("Nothing changed."), "info")
            return _back_to(project)
        for name, (_old, new) in changes.items():
            setattr(meeting, name, new)
        if changes:
            record("update", meeting, changes)
        else:  # new action items alone change the meeting too: a stale form must not add them
            flag_modified(meeting, "title")
        _add_actions(project, meeting, rows)
        if saved():
            flash(gettext("The meeting was saved."), "success")
            return _back_to(project)
        project = get_project_or_404(project_id, "project.file")
        meeting = _meeting_or_404(project, meeting_id)
    current = _shown(_current(meeting))
    conflicts = refuse(form, meeting.version_id, current, _shown(values))
    return _render(project, meeting, form, 409, conflicts=conflicts)


@bp.route("/projects/<int:project_id>/actions/<int:action_id>/done", methods=["POST"])
@require("project.file")
def project_action_done(project_id: int, action_id: int):
    project = get_project_or_404(project_id, "project.file")
    if not 0 < action_id <= MAX_ID:
        abort(404)
    item = db.session.scalar(
        select(ActionItem).where(ActionItem.id == action_id, ActionItem.project_id == project.id)
    )
    if item is None:
        abort(404)
    # CSRF is checked for every POST before the view (core: CSRFProtect); a second press undoes.
    old = item.done_on
    item.done_on = None if old else park_today()
    record("done" if item.done_on else "undone", item, {"done_on": [old, item.done_on]})
    db.session.flush()
    if item.done_on:
        flash(gettext("The action item is done."), "success")
    else:
        flash(gettext("The action item is open again."), "success")
    if request.form.get("back") == "meeting":
        return redirect(
            url_for(
                "crm.projects.project_meeting", project_id=project.id, meeting_id=item.meeting_id
            )
            + "#actions-title"
        )
    return _back_to(project)
