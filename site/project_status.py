"""The investor's read-only status page of their project, at an unguessable address."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import abort, g, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from core import approvals
from core.approvals import STATUS_LABELS
from core.content import get_content
from core.extensions import db
from core.i18n import translated
from core.models import APPROVAL_STATUSES, PROJECT_STAGES, Project
from core.projects import deadline, park_today
from core.stages import PROJECT_STAGE_LABELS
from public_site import bp

# What new_status_token() makes (token_urlsafe); anything else is no address of ours.
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,32}")
# Existing badge colours of site.css: done, under way, not yet, needs the firm's attention.
STATUS_BADGES = {
    "not_started": "badge-planned",
    "submitted": "badge-under_construction",
    "approved": "badge-completed",
    "returned": "badge-reserved",
}
assert set(STATUS_LABELS) == set(STATUS_BADGES) == set(APPROVAL_STATUSES)


# The template gets these plain records, never the models: whatever a later template change
# reaches for, the internal notes, agents, escalation levels and amounts are not there.
@dataclass(frozen=True)
class PlotRow:
    code: str
    zone: str
    area_m2: Decimal


@dataclass(frozen=True)
class StageRow:
    label: str
    reached_on: date | None


@dataclass(frozen=True)
class StepRow:
    name: str
    department: str
    status: str
    status_label: str
    badge: str
    submitted_on: date | None
    due_on: date | None
    approved_on: date | None
    late: str


@bp.after_request
def status_headers(response):
    """One investor's page (and its 404): never stored by a browser or proxy, never indexed."""
    if request.endpoint == "site.project_status":
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _zone_names() -> dict[str, str]:
    return {z["code"]: translated(z["name"]) for z in get_content().site["zones"]}


def _steps(project: Project, today: date) -> list[StepRow]:
    rows = []
    for step in approvals.steps_of(project):
        late = ""
        if approvals.is_overdue(step, today):
            days = approvals.days_overdue(step, today)
            late = ngettext(
                "late: %(num)d working day past the due day",
                "late: %(num)d working days past the due day",
                days,
            )
        rows.append(
            StepRow(
                name=approvals.step_name(step.kind, g.lang),
                department=approvals.department_name(step.department, g.lang),
                status=step.status,
                status_label=str(STATUS_LABELS.get(step.status, step.status)),
                badge=STATUS_BADGES.get(step.status, "badge-planned"),
                submitted_on=step.submitted_on,
                due_on=step.due_on,
                approved_on=step.approved_on,
                late=late,
            )
        )
    return rows


@bp.route("/project-status/<token>")
def project_status(token: str):
    if not TOKEN.fullmatch(token):
        abort(404)
    project = db.session.scalar(
        select(Project)
        .where(Project.status_token == token)
        .options(
            joinedload(Project.lead),
            selectinload(Project.plots),
            selectinload(Project.milestones),
        )
    )
    # An erased lead's page goes with its personal data.
    if project is None or project.lead.anonymised_at is not None:
        abort(404)

    today = park_today()
    zones = _zone_names()
    stages = []
    for stage in PROJECT_STAGES:
        reached = project.milestone(stage)
        stages.append(
            StageRow(str(PROJECT_STAGE_LABELS[stage]), reached.reached_on if reached else None)
        )
    # Rendered without render_page: this page must never enter the shared page cache.
    html = render_template(
        "site/project_status.html",
        company=project.lead.company_name,
        company_latin=project.lead.company_name_latin,
        zone=zones.get(project.zone, project.zone) if project.zone else "",
        plots=[PlotRow(p.code, zones.get(p.zone, p.zone), p.area_m2) for p in project.plots],
        stages=stages,
        deadlines=[
            (_l("Construction to start by"), deadline(project, "construction", today)),
            (_l("Production to start by"), deadline(project, "production", today)),
        ],
        steps=_steps(project, today),
        today=today,
    )
    return make_response(html)
