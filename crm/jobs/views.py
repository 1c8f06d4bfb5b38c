"""The jobs page and its two actions, each of which only enqueues: the worker does the work."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from core.extensions import db
from core.forms import Form
from core.imports import start_job
from core.jobs import enqueue, queue_stats
from core.models import ImportJob, JobRun
from core.models.base import utcnow
from core.periodic import jobs, run_now
from crm.imports.common import STATUS_LABELS
from crm.jobs import bp
from crm.permissions import require

# Imports shown: those running or failed, the latest first.
IMPORTS_SHOWN = 50
RUN_LABELS = {"running": _l("Running"), "ok": _l("Done"), "failed": _l("Failed")}


def _last_runs() -> dict[str, JobRun]:
    latest = select(JobRun.name, func.max(JobRun.id).label("id")).group_by(JobRun.name).subquery()
    runs = db.session.scalars(select(JobRun).join(latest, JobRun.id == latest.c.id))
    return {run.name: run for run in runs}


@bp.route("/jobs")
@require("admin.jobs")
def jobs_page():
    imports = db.session.scalars(
        select(ImportJob)
        .where(ImportJob.status.in_(("running", "failed")))
        .order_by(ImportJob.id.desc())
        .limit(IMPORTS_SHOWN)
    ).all()
    return render_template(
        "crm/jobs/jobs.html",
        stats=queue_stats(),
        periodic=sorted(jobs(current_app), key=lambda job: job.name),
        last_runs=_last_runs(),
        imports=imports,
        status_labels=STATUS_LABELS,
        run_labels=RUN_LABELS,
        form=Form(),
    )


@bp.route("/jobs/periodic/<name>/run", methods=["POST"])
@require("admin.jobs")
def jobs_run_now(name: str):
    if name not in {job.name for job in jobs(current_app)}:
        abort(404)
    if not Form().validate_on_submit():
        abort(400)
    if enqueue(run_now, name):
        flash(gettext("%(name)s is queued: the worker runs it shortly.", name=name), "success")
    else:
        flash(gettext("The job queue cannot be reached; try again later."), "error")
    return redirect(url_for("crm.jobs.jobs_page"))


@bp.route("/jobs/imports/<id:job_id>/retry", methods=["POST"])
@require("admin.jobs")
def jobs_retry_import(job_id: int):
    job = db.get_or_404(ImportJob, job_id)
    if not Form().validate_on_submit():
        abort(400)
    # Claimed with one conditional UPDATE, committed at once (as the import's own run button).
    claimed = db.session.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status == "failed")
        .values(status="running", started_at=utcnow())
    )
    db.session.commit()
    if claimed.rowcount != 1:
        flash(gettext("This import is already running or has run."), "error")
    else:
        # Run for whoever started it: rows merge only into leads they may change.
        start_job(job.id, job.created_by)
        flash(
            gettext("%(name)s is queued: the worker runs it shortly.", name=job.filename), "success"
        )
    return redirect(url_for("crm.jobs.jobs_page"))
