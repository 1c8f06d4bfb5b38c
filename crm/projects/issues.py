"""A project's issue log: difficulties, the department owning each, due days and resolutions."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core.approvals import department_name
from core.audit import record
from core.extensions import db
from core.i18n import date as date_text
from core.models import Project, ProjectIssue
from core.projects import park_today
from core.unit_of_work import saved
from crm.conflicts import arm, refuse
from crm.permissions import MAX_ID, allowed, require
from crm.projects import bp, company, get_project_or_404
from crm.projects.file_forms import ISSUE_FIELDS, IssueForm
from crm.projects.meetings import excerpt

CONFLICT = _l(
    "This issue was changed by someone else while you were editing. Nothing was saved. "
    "Compare the values below; save again to keep yours."
)


def is_overdue(issue: ProjectIssue, today) -> bool:
    return issue.resolved_on is None and issue.due_on is not None and issue.due_on < today


def issues_panel(project: Project) -> dict:
    """What the project page's issue log shows (the page already checked the scope)."""
    today = park_today()
    issues = db.session.scalars(
        select(ProjectIssue)
        .where(ProjectIssue.project_id == project.id)
        # Open issues first, the latest raised first within each.
        .order_by(
            ProjectIssue.resolved_on.is_not(None),
            ProjectIssue.raised_on.desc(),
            ProjectIssue.id.desc(),
        )
    ).all()
    return {
        "issues": [
            (i, excerpt(i.description), department_name(i.department), is_overdue(i, today))
            for i in issues
        ],
        "open": sum(1 for i in issues if i.resolved_on is None),
        "may_file": allowed("project.file"),
    }


@bp.app_context_processor
def issues_helper():
    # The project page shows the log without its view knowing about issues.
    return {"project_issues": issues_panel}


def _issue_or_404(project: Project, issue_id: int) -> ProjectIssue:
    """An issue of this project; one of another project is 404, as if it did not exist."""
    if not 0 < issue_id <= MAX_ID:
        abort(404)
    issue = db.session.scalar(
        select(ProjectIssue).where(
            ProjectIssue.id == issue_id, ProjectIssue.project_id == project.id
        )
    )
    if issue is None:
        abort(404)
    return issue


def _current(issue: ProjectIssue) -> dict:
    return {name: getattr(issue, name) for name in ISSUE_FIELDS}


def _shown(values: dict) -> dict[str, str]:
    """Values as plain text, to spot what someone else changed meanwhile."""
    shown = {}
    for name, value in values.items():
        if name == "department":
            shown[name] = department_name(value) if value else ""
        elif hasattr(value, "isoformat"):
            shown[name] = date_text(value)
        else:
            shown[name] = "" if value is None else str(value)
    return shown


def _fill(form: IssueForm, issue: ProjectIssue) -> None:
    for name in ISSUE_FIELDS:
        getattr(form, name).data = getattr(issue, name)
    arm(form, issue.version_id, _shown(_current(issue)))


def _render(project, issue, form, status=200, conflicts=(), conflict=False):
    today = park_today()
    return (
        render_template(
            "crm/projects/issue.html",
            project=project,
            issue=issue,
            form=form,
            company=company(project.lead),
            department=department_name(issue.department) if issue else "",
            overdue=is_overdue(issue, today) if issue else False,
            labels={f.name: str(f.label.text) for f in form} if form else {},
            conflicts=list(conflicts),
            conflict_message=str(CONFLICT) if conflict else "",
            today=today,
        ),
        status,
    )


def _back_to(project: Project):
    return redirect(url_for("crm.projects.project", project_id=project.id) + "#issues-title")


@bp.route("/projects/<int:project_id>/issues/new", methods=["GET", "POST"])
@require("project.file")
def project_issue_new(project_id: int):
    project = get_project_or_404(project_id, "project.file")
    form = IssueForm()
    form.fill_choices()
    if request.method == "GET":
        form.raised_on.data = park_today()
        return _render(project, None, form)
    if not form.validate_on_submit():
        return _render(project, None, form, 422)
    values = form.values()
    issue = ProjectIssue(project_id=project.id, created_by_id=current_user.id, **values)
    db.session.add(issue)
    created = {name: [None, value] for name, value in values.items() if value}
    record("create", issue, {"project": [None, project.id], **created})
    db.session.flush()
    flash(gettext("The issue was added to the log."), "success")
    return _back_to(project)


# One address, two routes: leaders (project.view) read an issue; only project.file may change it.
@bp.route("/projects/<int:project_id>/issues/<int:issue_id>", methods=["GET"])
@require("project.view")
def project_issue(project_id: int, issue_id: int):
    project = get_project_or_404(project_id)
    issue = _issue_or_404(project, issue_id)
    form = None
    if allowed("project.file"):
        form = IssueForm()
        form.fill_choices(issue.department)
        _fill(form, issue)
    return _render(project, issue, form)


@bp.route("/projects/<int:project_id>/issues/<int:issue_id>", methods=["POST"])
@require("project.file")
def project_issue_save(project_id: int, issue_id: int):
    project = get_project_or_404(project_id, "project.file")
    issue = _issue_or_404(project, issue_id)
    form = IssueForm()
    form.fill_choices(issue.department)
    if not form.validate_on_submit():
        return _render(project, issue, form, 422)
    values = form.values()
    if form.version.data == str(issue.version_id):
        old_values = _current(issue)
        changes = {k: [old_values[k], v] for k, v in values.items() if old_values[k] != v}
        if not changes:
            flash(gettext("Nothing changed."), "info")
            return _back_to(project)
        for name, (_old, new) in changes.items():
            setattr(issue, name, new)
        record("update", issue, changes)
        if saved():
            flash(gettext("The issue was saved."), "success")
            return _back_to(project)
        project = get_project_or_404(project_id, "project.file")
        issue = _issue_or_404(project, issue_id)
    current = _shown(_current(issue))
    conflicts = refuse(form, issue.version_id, current, _shown(values))
    return _render(project, issue, form, 409, conflicts=conflicts, conflict=True)
