"""Projects in the CRM: the list, a project's page, its form, a stage recorded with its proof."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import case, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from core.audit import record
from core.extensions import db
from core.models import PROJECT_STAGES, ZONES, Plot, Project, ProjectMilestone
from core.models.base import utcnow
from core.projects import allocate, deadline, park_today, reach
from core.refusals import Refused
from core.stages import PROJECT_STAGE_LABELS
from core.unit_of_work import saved
from core.uploads import StorageUnavailable
from crm.conflicts import arm, refuse
from crm.enterprises.forms import zone_name
from crm.permissions import allowed, can, require
from crm.projects import bp, company, evidence, get_project_or_404, visible_projects
from crm.projects.forms import (
    EVIDENCE_LABELS,
    PROJECT_FIELDS,
    ProjectForm,
    StageForm,
)

CONFLICT = _l(
    "This project was changed by someone else while you were editing. Nothing was saved. "
    "Compare the values below; save again to keep yours."
)
STAGE_CONFLICT = _l(
    "This project was changed by someone else after you opened the page. Nothing was saved. "
    "Check its stages below and send the form again."
)
# Signed projects by the nearest construction deadline, then those building by production's.
STAGE_RANK = case({"signed": 0, "construction": 1, "production": 2}, value=Project.stage, else_=3)
NEXT_DEADLINE = case(
    (Project.stage == "signed", Project.construction_deadline),
    (Project.stage == "construction", Project.production_deadline),
    else_=None,
)


def _page_options():
    return (
        joinedload(Project.lead),
        joinedload(Project.liaison),
        joinedload(Project.agent),
        selectinload(Project.plots),
        selectinload(Project.milestones).joinedload(ProjectMilestone.recorded_by),
    )


@bp.route("/projects")
@require("project.view")
def projects():
    stage, zone = request.args.get("stage", ""), request.args.get("zone", "")
    statement = (
        select(Project)
        .join(Project.lead)
        .where(visible_projects())
        .options(
            contains_eager(Project.lead),
            joinedload(Project.liaison),
            joinedload(Project.agent),
            selectinload(Project.milestones),
        )
        .order_by(STAGE_RANK, NEXT_DEADLINE.is_(None), NEXT_DEADLINE, Project.id)
    )
    if stage in PROJECT_STAGES:
        statement = statement.where(Project.stage == stage)
    if zone in ZONES:
        statement = statement.where(Project.zone == zone)
    today = park_today()
    rows = [
        (p, company(p.lead), deadline(p, "construction", today))
        for p in db.session.scalars(statement).unique()
    ]
    return render_template(
        "crm/projects/list.html",
        rows=rows,
        chosen={"stage": stage if stage in PROJECT_STAGES else "", "zone": zone},
        stage_labels=PROJECT_STAGE_LABELS,
        zones=[(code, zone_name(code)) for code in ZONES],
        zone_name=zone_name,
    )


@bp.route("/projects/<id:project_id>")
@require("project.view")
def project(project_id: int):
    project = get_project_or_404(project_id, "project.view", *_page_options())
    form = None
    if allowed("project.edit"):
        form = StageForm()
        form.fill_choices(project)
        form.stage.data = form.stage.choices[0].value
        form.reached_on.data, form.evidence_kind.data = park_today(), "document"
        form.version.data = str(project.version_id)
    return _render_page(project, form)


def _render_page(project: Project, form: StageForm | None, status=200, problems=(), conflict=""):
    today = park_today()
    lead = project.lead
    return (
        render_template(
            "crm/projects/detail.html",
            project=project,
            company=company(lead),
            lead_url=url_for("crm.leads.lead", lead_id=lead.id) if can("lead.view", lead) else None,
            stages=[(s, PROJECT_STAGE_LABELS[s], project.milestone(s)) for s in PROJECT_STAGES],
            deadlines={s: deadline(project, s, today) for s in ("construction", "production")},
            stage_labels=PROJECT_STAGE_LABELS,
            evidence_labels=EVIDENCE_LABELS,
            zone_name=zone_name,
            form=form,
            problems=list(problems),
            conflict_message=str(STAGE_CONFLICT) if conflict else "",
            today=today,
            may_edit=allowed("project.edit"),
        ),
        status,
    )


def _day_errors(form: StageForm, project: Project) -> None:
    # Beside the field where they belong; core.projects.reach checks the same again.
    day = form.reached_on.data
    if day > park_today():
        form.reached_on.errors.append(gettext("The day cannot be in the future."))
    elif day < project.signed_on and form.stage.data != "signed":
        form.reached_on.errors.append(gettext("The day cannot be before the signing."))


@bp.route("/projects/<id:project_id>/stage", methods=["POST"])
@require("project.edit")
def project_stage(project_id: int):
    project = get_project_or_404(project_id, "project.edit", *_page_options())
    form = StageForm()
    form.fill_choices(project)
    if not form.validate_on_submit():
        return _render_page(project, form, 422)
    if form.version.data != str(project.version_id):
        form.version.data = str(project.version_id)
        return _render_page(project, form, 409, conflict=True)
    kind, reference = form.evidence_kind.data, (form.reference.data or "").strip()
    _day_errors(form, project)
    document = None
    if kind == "reference" and not reference:
        form.reference.errors.append(
            gettext("Give the reference of the document (its number or title).")
        )
    elif kind == "document":
        try:
            document = evidence.read_document(form.document.data)
        except evidence.DocumentError as problem:
            form.document.errors.append(str(problem))
        else:
            if document is None:
                form.document.errors.append(gettext("Choose the document to upload."))
    if form.errors:
        return _render_page(project, form, 422)
    stage = form.stage.data
    earlier = project.milestone(stage)
    replaced = earlier.path if earlier is not None else None
    stored = None
    try:
        if document is not None:
            data, content_type, name = document
            stored = (evidence.store(data, content_type), content_type, len(data))
            reference = reference or name
        # The referrer hears of construction and production once this commits.
        milestone = reach(
            project,
            stage,
            form.reached_on.data,
            current_user,
            evidence_kind=kind,
            reference=reference,
            stored=stored,
        )
        if kind == "reference":  # a document no longer the proof is not kept
            milestone.path = milestone.content_type = milestone.size = None
        project.updated_at = utcnow()  # new proof alone also makes forms opened before stale
    except (Refused, StorageUnavailable) as refusal:
        db.session.rollback()  # which removes a document written for it (core.uploads)
        project = get_project_or_404(project_id, "project.edit", *_page_options())
        status = 503 if isinstance(refusal, StorageUnavailable) else 422
        return _render_page(project, form, status, problems=[str(refusal)])
    if not saved():
        project = get_project_or_404(project_id, "project.edit", *_page_options())
        form.version.data = str(project.version_id)
        return _render_page(project, form, 409, conflict=True)
    if replaced and replaced != milestone.path:
        evidence.remove(replaced)
    flash(
        gettext("Recorded “%(stage)s” with its proof.", stage=PROJECT_STAGE_LABELS[stage]),
        "success",
    )
    return redirect(url_for("crm.projects.project", project_id=project.id))


# -- the project form ------------------------------------------------------------------------


def _current(project: Project) -> dict:
    """The project's values typed as ProjectForm.values() returns them."""
    values = {name: getattr(project, name) for name in PROJECT_FIELDS}
    values["plots"] = sorted(p.id for p in project.plots)
    return values


def _shown(values: dict, names: dict[str, dict]) -> dict[str, str]:
    """Values as plain text (people and plots by name), to spot what someone else changed."""
    shown = {}
    for key, value in values.items():
        if key == "plots":
            shown[key] = ", ".join(names["plots"].get(i, str(i)) for i in value)
        elif key in names:
            shown[key] = names[key].get(value, "") if value is not None else ""
        elif value is None:
            shown[key] = ""
        else:
            shown[key] = f"{value:f}" if hasattr(value, "as_tuple") else str(value)
    return shown


def _names(form: ProjectForm, project: Project) -> dict[str, dict]:
    plots = {p.id: p.code for p in [*form.offered, *project.plots]}
    people = {
        key: {int(c.value): str(c.label) for c in field.choices if c.value}
        for key, field in (("liaison_id", form.liaison_id), ("agent_id", form.agent_id))
    }
    return {"plots": plots, **people}


def _fill(form: ProjectForm, project: Project) -> None:
    for name in ("investment", "capital_arrived", "jobs_planned", "policy_version"):
        value = getattr(project, name)
        getattr(form, name).data = (
            "" if value is None else (f"{value:f}" if hasattr(value, "as_tuple") else str(value))
        )
    form.construction_deadline.data = project.construction_deadline
    form.production_deadline.data = project.production_deadline
    form.liaison_id.data = str(project.liaison_id or "")
    form.agent_id.data = str(project.agent_id or "")
    form.plots.data = [p.id for p in project.plots]


def _allocate(project: Project, ids: list[int], offered: set[int]) -> None:
    plots = list(db.session.scalars(select(Plot).where(Plot.id.in_(ids)).order_by(Plot.code)))
    if len(plots) != len(ids):
        raise Refused(gettext("Choose the plots from the list."))
    allocate(project, plots)  # refuses plots of other projects and plots held for other leads
    # Anything else not offered (a plot an enterprise holds) is refused; the rollback undoes it.
    stray = [p.code for p in plots if p.id not in offered]
    if stray:
        raise Refused(gettext("Plot %(code)s is not available.", code=", ".join(stray)))


def _apply(project: Project, values: dict) -> dict:
    """Set the changed values; return {field: [old, new]} for the audit trail."""
    changes = {}
    for name in PROJECT_FIELDS:
        old, new = getattr(project, name), values[name]
        if old != new:
            setattr(project, name, new)
            changes[name] = [old, new]
    return changes


@bp.route("/projects/<id:project_id>/edit", methods=["GET", "POST"])
@require("project.edit")
def project_edit(project_id: int):
    project = get_project_or_404(project_id, "project.edit", *_page_options())
    form = ProjectForm()
    form.fill_choices(project, park_today())
    names = _names(form, project)
    current = _shown(_current(project), names)
    if request.method == "GET":
        _fill(form, project)
        arm(form, project.version_id, current)
        return _render_form(form, project)
    if not form.validate_on_submit():
        return _render_form(form, project, status=422)
    values = form.values()
    if form.version.data == str(project.version_id):
        try:
            plots_changed = values["plots"] != _current(project)["plots"]
            if plots_changed:  # first: the rules' queries see no half-applied change
                _allocate(project, values["plots"], {p.id for p in form.offered})
            changes = _apply(project, values)
            if not changes and not plots_changed:
                flash(gettext("Nothing changed."), "info")
                return redirect(url_for("crm.projects.project", project_id=project.id))
            if changes:
                record("update", project, changes)
            project.updated_at = utcnow()  # plots alone also make forms opened before stale
        except Refused as refusal:
            db.session.rollback()
            form.plots.errors.append(str(refusal))
            project = get_project_or_404(project_id, "project.edit", *_page_options())
            return _render_form(form, project, status=422)
        if saved():
            flash(gettext("The project was saved."), "success")
            return redirect(url_for("crm.projects.project", project_id=project.id))
        # Saved by someone else between our read and our write.
        project = get_project_or_404(project_id, "project.edit", *_page_options())
        current = _shown(_current(project), names)
    conflicts = refuse(form, project.version_id, current, _shown(values, names))
    return _render_form(form, project, conflicts=conflicts, conflict=True, status=409)


def _render_form(form, project, conflicts=(), conflict=False, status=200):
    return (
        render_template(
            "crm/projects/edit.html",
            form=form,
            project=project,
            company=company(project.lead),
            labels={f.name: str(f.label.text) for f in form},
            conflicts=list(conflicts),
            conflict_message=str(CONFLICT) if conflict else "",
        ),
        status,
    )
