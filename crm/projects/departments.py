"""Approval steps per department for a year: time taken, steps within the limit, overdue now."""

from dataclasses import dataclass
from datetime import date

from flask import render_template, request, url_for
from flask_babel import format_percent, gettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from core import approvals as rules
from core import projects
from core.extensions import db
from core.i18n import number
from core.models import ApprovalStep, Project
from core.workdays import add_working_days, working_days_between
from crm.permissions import require
from crm.projects import bp, company, may_see

# Years a person could mean; anything else in the URL is a mistake, not a query.
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass
class Department:
    code: str
    name: str
    steps: int = 0
    approved: int = 0
    working_days: int = 0  # from submission to approval, summed over the approved steps
    in_time: int = 0
    overdue: int = 0

    def add(self, other: "Department") -> None:
        for name in ("steps", "approved", "working_days", "in_time", "overdue"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def average_text(self) -> str:
        return number(self.working_days / self.approved, 1) if self.approved else "—"

    @property
    def in_time_text(self) -> str:
        return format_percent(self.in_time / self.approved, "#,##0%") if self.approved else "—"


@dataclass(frozen=True)
class Overdue:
    step: ApprovalStep
    project_name: str
    project_url: str | None
    name: str
    department: str
    days: int


def _due(step: ApprovalStep) -> date:
    # Every submitted step has its due day; computed again only for rows written by hand.
    return step.due_on or add_working_days(step.submitted_on, step.limit_days)


def report(year: int, today: date) -> tuple[list[Department], Department, list[Overdue]]:
    """Per department, the steps submitted in the year; their total; those overdue today."""
    steps = db.session.scalars(
        select(ApprovalStep)
        .where(
            ApprovalStep.submitted_on >= date(year, 1, 1),
            ApprovalStep.submitted_on < date(year + 1, 1, 1),
        )
        .options(
            joinedload(ApprovalStep.agent),
            joinedload(ApprovalStep.project).joinedload(Project.lead),
        )
        .order_by(ApprovalStep.id)
    ).all()
    # In the order of content/data/approvals.yaml; codes no longer listed come last.
    rows = {code: Department(code, rules.department_name(code)) for code in rules.departments()}
    late = []
    for step in steps:
        row = rows.setdefault(step.department, Department(step.department, step.department))
        row.steps += 1
        if step.status == "approved" and step.approved_on:
            row.approved += 1
            row.working_days += max(0, working_days_between(step.submitted_on, step.approved_on))
            row.in_time += step.approved_on <= _due(step)
        if rules.is_overdue(step, today):
            row.overdue += 1
            project = step.project
            late.append(
                Overdue(
                    step=step,
                    project_name=company(project.lead),
                    project_url=(
                        url_for("crm.projects.project", project_id=project.id)
                        if may_see(project)
                        else None
                    ),
                    name=rules.step_name(step.kind),
                    department=row.name,
                    days=rules.days_overdue(step, today),
                )
            )
    shown = [row for row in rows.values() if row.steps]
    total = Department("", gettext("Total"))
    for row in shown:
        total.add(row)
    late.sort(key=lambda o: (-o.days, o.step.due_on, o.step.id))  # the longest delays first
    return shown, total, late


def _year(today: date) -> int | None:
    """The year asked for; None when the URL holds something that is not a year we can show."""
    raw = request.args.get("year", "")
    if not raw:
        return today.year
    if len(raw) != 4 or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw) if FIRST_YEAR <= int(raw) <= LAST_YEAR else None


def years_offered(today: date) -> list[int]:
    first, last = db.session.execute(
        select(func.min(ApprovalStep.submitted_on), func.max(ApprovalStep.submitted_on))
    ).one()
    years = {today.year}
    if first is not None:
        years.update(range(first.year, max(last.year, today.year) + 1))
    return sorted(years, reverse=True)


@bp.route("/projects/departments")
@require("report.view")
def approval_departments():
    today = projects.park_today()
    year, problem = _year(today), None
    if year is None:
        year, problem = today.year, gettext("Choose a year from the list.")
    offered = sorted({*years_offered(today), year}, reverse=True)
    rows, total, late = report(year, today)
    return render_template(
        "crm/projects/departments.html",
        year=year,
        years=offered,
        rows=rows,
        total=total,
        late=late,
        today=today,
        problem=problem,
    ), (400 if problem else 200)
