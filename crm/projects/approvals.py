"""Approval steps in a project's file: the table on the project page, adding a step, editing one."""

from dataclasses import dataclass
from datetime import date

from babel.lists import format_list
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import approvals as rules
from core import projects
from core.approvals import STATUS_LABELS
from core.extensions import db
from core.i18n import date as date_text
from core.i18n import number
from core.models import ApprovalStep, Project
from core.unit_of_work import saved
from core.workdays import working_days_between
from crm.conflicts import arm, refuse
from crm.permissions import MAX_ID, allowed, require
from crm.projects import bp, company, get_project_or_404
from crm.projects.approval_forms import (
    ADD_PREFIX,
    AddStepForm,
    StepForm,
    add_form,
)
from crm.projects.views import project as project_page

CONFLICT = _l(
    "This approval step was changed by someone else while you were editing. Nothing was saved. "
    "Compare the values below; save again to keep yours."
)
# Characters of a step's notes shown in the table; the whole text is on the step's page.
EXCERPT = 80
# The step's fields the edit form changes; the conflict table compares these.
STEP_FIELDS = ("status", "submitted_on", "approved_on", "agent_id", "notes")


@dataclass(frozen=True)
class StepRow:
    step: ApprovalStep
    name: str
    department: str
    status: str
    overdue: bool
    overdue_text: str
    escalation_text: str
    approval_text: str
    notes: str


def excerpt(text: str, limit: int = EXCERPT) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def overdue_text(days: int) -> str:
    if days <= 0:  # due before a weekend or holiday: past its day, no working day lost yet
        return gettext("overdue")
    return ngettext("overdue by %(num)d working day", "overdue by %(num)d working days", days)


def escalation_text(step: ApprovalStep) -> str:
    """How far the emails about an overdue step have gone (core.approvals.escalate)."""
    if step.escalation_level >= 2:
        return gettext("escalated to the department and the liaison leader")
    if step.escalation_level == 1:
        return gettext("escalated to the park agent")
    return gettext("not escalated yet")


def approval_text(step: ApprovalStep) -> str:
    """For an approved step: within the department's time limit, or how late."""
    if step.status != "approved" or not (step.approved_on and step.due_on):
        return ""
    late = working_days_between(step.due_on, step.approved_on)
    if late <= 0:
        return gettext("within the time limit")
    return ngettext("%(num)d working day late", "%(num)d working days late", late)


def step_row(step: ApprovalStep, today: date) -> StepRow:
    overdue = rules.is_overdue(step, today)
    return StepRow(
        step=step,
        name=rules.step_name(step.kind),
        department=rules.department_name(step.department),
        status=str(STATUS_LABELS.get(step.status, step.status)),
        overdue=overdue,
        overdue_text=overdue_text(rules.days_overdue(step, today)) if overdue else "",
        escalation_text=escalation_text(step) if overdue else "",
        approval_text=approval_text(step),
        notes=excerpt(step.notes),
    )


def summary(rows: list[StepRow]) -> str:
    """The one-line count: "7 steps: 3 approved, 2 submitted, 1 overdue, 1 not started"."""
    if not rows:
        return gettext("No approval step in the file yet.")
    counts = {"approved": 0, "submitted": 0, "overdue": 0, "returned": 0, "not_started": 0}
    for row in rows:
        counts["overdue" if row.overdue else row.step.status] += 1
    words = {
        "approved": gettext("%(num)s approved", num=number(counts["approved"])),
        "submitted": gettext("%(num)s submitted", num=number(counts["submitted"])),
        "overdue": gettext("%(num)s overdue", num=number(counts["overdue"])),
        "returned": gettext("%(num)s returned for changes", num=number(counts["returned"])),
        "not_started": gettext("%(num)s not started", num=number(counts["not_started"])),
    }
    parts = [words[key] for key, count in counts.items() if count]
    total = ngettext("%(num)s step", "%(num)s steps", len(rows))  # num formatted by Babel
    counts_text = format_list(parts, locale=str(get_locale())) if parts else ""
    return gettext("%(steps)s: %(counts)s", steps=total, counts=counts_text)


def approval_file(project: Project) -> dict:
    """What the project page's approvals partial shows; after a refused add, the form sent."""
    today = projects.park_today()
    steps = db.session.scalars(
        select(ApprovalStep)
        .where(ApprovalStep.project_id == project.id)
        .options(joinedload(ApprovalStep.agent))
        .order_by(ApprovalStep.id)
    ).all()
    rows = [step_row(step, today) for step in steps]
    # The page is shown only to those who may see the project: its scope is approval.edit's.
    may_edit = allowed("approval.edit")
    sent, problems = g.get("approval_add", (None, []))
    return {
        "rows": rows,
        "summary": summary(rows),
        "may_edit": may_edit,
        "form": add_form(steps, sent) if may_edit else None,
        "problems": problems,
    }


@bp.app_context_processor
def approvals_helper():
    # The project page shows the partial without crm/projects/views.py knowing about approvals.
    return {"approval_file": approval_file}


# -- adding a step ---------------------------------------------------------------------------


def _refused(project_id: int, form: AddStepForm, problems: list[str]):
    """The project page again, with the form as sent and what is wrong; nothing written."""
    db.session.rollback()
    g.approval_add = (form, problems)
    body, _ = project_page(project_id)
    return body, 422


@bp.route("/projects/<int:project_id>/steps", methods=["POST"])
@require("approval.edit")
def project_step_add(project_id: int):
    project = get_project_or_404(project_id, "approval.edit")
    form = AddStepForm(prefix=ADD_PREFIX)
    if not form.validate_on_submit():
        return _refused(project_id, form, [])
    try:
        step = rules.add_step(project, form.kind.data)  # carried by the project's agent
        db.session.flush()
    except rules.Refused as refusal:
        return _refused(project_id, form, [str(refusal)])
    flash(gettext("“%(step)s” was added to the file.", step=rules.step_name(step.kind)), "success")
    return redirect(url_for("crm.projects.project", project_id=project.id, _anchor="approvals"))


# -- editing a step --------------------------------------------------------------------------


def _step_or_404(project: Project, step_id: int) -> ApprovalStep:
    step = db.session.get(ApprovalStep, step_id) if 0 < step_id <= MAX_ID else None
    if step is None or step.project_id != project.id:  # another project's step: not found here
        abort(404)
    return step


def _current(step: ApprovalStep) -> dict:
    """The step's values typed as StepForm.values() returns them."""
    return {name: getattr(step, name) for name in STEP_FIELDS}


def _shown(values: dict, people: dict[str, str]) -> dict[str, str]:
    """Values as plain text (status by label, person by name), to spot what someone changed."""
    return {
        "status": str(STATUS_LABELS.get(values["status"], values["status"] or "")),
        "submitted_on": date_text(values["submitted_on"]),
        "approved_on": date_text(values["approved_on"]),
        "agent_id": people.get(str(values["agent_id"]), "") if values["agent_id"] else "",
        "notes": (values["notes"] or "").strip(),
    }


def _fill(form: StepForm, step: ApprovalStep) -> None:
    form.status.data = step.status
    form.submitted_on.data, form.approved_on.data = step.submitted_on, step.approved_on
    form.agent_id.data = str(step.agent_id or "")
    form.notes.data = step.notes


def _load(project_id: int, step_id: int) -> tuple[Project, ApprovalStep]:
    project = get_project_or_404(project_id, "approval.edit", joinedload(Project.lead))
    return project, _step_or_404(project, step_id)


@bp.route("/projects/<int:project_id>/steps/<int:step_id>", methods=["GET", "POST"])
@require("approval.edit")
def project_step(project_id: int, step_id: int):
    project, step = _load(project_id, step_id)
    form = StepForm()
    form.fill_choices(step)
    people = {c.value: str(c.label) for c in form.agent_id.choices if c.value}
    current = _shown(_current(step), people)
    if request.method == "GET":
        _fill(form, step)
        arm(form, step.version_id, current)
        return _render(form, project, step)
    if not form.validate_on_submit():
        return _render(form, project, step, status=422)
    values = form.values()
    if form.version.data == str(step.version_id):
        before = _current(step)
        try:
            rules.update(step, **values, today=projects.park_today())  # writes its audit entry
        except rules.Refused as refusal:
            db.session.rollback()
            return _render(form, project, step, status=422, problems=[str(refusal)])
        if _current(step) == before:
            db.session.rollback()
            flash(gettext("Nothing changed."), "info")
            return redirect(
                url_for("crm.projects.project", project_id=project.id, _anchor="approvals")
            )
        if saved():
            flash(
                gettext("The step “%(step)s” was saved.", step=rules.step_name(step.kind)),
                "success",
            )
            return redirect(
                url_for("crm.projects.project", project_id=project.id, _anchor="approvals")
            )
        # Saved by someone else between our read and our write.
        project, step = _load(project_id, step_id)
        current = _shown(_current(step), people)
    conflicts = refuse(form, step.version_id, current, _shown(values, people))
    return _render(form, project, step, conflicts=conflicts, conflict=True, status=409)


def _render(form, project, step, status=200, problems=(), conflicts=(), conflict=False):
    today = projects.park_today()
    return (
        render_template(
            "crm/projects/approval_step.html",
            form=form,
            project=project,
            step=step,
            row=step_row(step, today),
            company=company(project.lead),
            today=today,
            labels={f.name: str(f.label.text) for f in form},
            problems=list(problems),
            conflicts=list(conflicts),
            conflict_message=str(CONFLICT) if conflict else "",
        ),
        status,
    )
