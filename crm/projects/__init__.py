"""Projects in the CRM: who sees which project, the list and page, the form, stages with proof."""

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy import false, or_, select, true

from core.code_names import shown_name
from core.extensions import db
from core.models import Lead, Project, User
from crm.permissions import allowed, can, visible_leads

bp = Blueprint("projects", __name__, template_folder="templates")


def visible_projects(user: User | None = None):
    """A WHERE clause (on Project joined with its Lead) limiting projects to the user's scope."""
    user = user or current_user
    if user.role in ("admin", "manager"):
        return true()
    if user.role == "officer":
        return visible_leads(user)
    if user.role == "leader":
        # The county leader follows the projects they are liaison for, on the project or the lead.
        return or_(Project.liaison_id == user.id, Lead.liaison_id == user.id)
    return false()


def may_see(project: Project, user: User | None = None) -> bool:
    user = user or current_user
    if not allowed("project.view", user):
        return False
    if user.role in ("admin", "manager"):
        return True
    if user.role == "leader":
        return user.id in (project.liaison_id, project.lead.liaison_id)
    return can("lead.view", project.lead, user)


def get_project_or_404(project_id: int, permission: str = "project.view", *options) -> Project:
    """A project in the user's scope; others' projects are 404, as if they did not exist."""
    project = db.session.scalar(select(Project).where(Project.id == project_id).options(*options))
    if project is None or not may_see(project):
        abort(404)
    if not allowed(permission):
        abort(403)
    return project


def company(lead: Lead) -> str:
    """The company by name, or its code name where the lead is confidential to the user."""
    return shown_name(lead, current_user)


from crm.projects import (  # noqa: E402,F401  (registers the views)
    approvals,
    departments,
    evidence,
    incentives,
    issues,
    meetings,
    status_link,
    views,
)
