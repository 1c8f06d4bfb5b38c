"""The imports made so far, one import's progress and report, its download, undo and rerun."""

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from core.audit import record
from core.exports import download
from core.extensions import db
from core.imports import ImportFileError, progress_of, report_rows, undo_job, undo_summary
from core.models.base import utcnow
from core.models.lead_import import ImportJob
from crm.imports import bp
from crm.imports.common import STATUS_LABELS, editable, job_or_404
from crm.imports.forms import ActionForm
from crm.permissions import require

LIST_SIZE = 100
REPORT_PAGE = 200
FORMATS = ("csv", "xlsx")


@bp.route("/imports")
@require("lead.import")
def imports():
    query = select(ImportJob).order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
    if current_user.role not in ("admin", "manager"):
        query = query.where(ImportJob.created_by_id == current_user.id)
    jobs = db.session.scalars(query.limit(LIST_SIZE)).all()
    return render_template("crm/imports/list.html", jobs=jobs, status_labels=STATUS_LABELS)


def _report_page(job) -> tuple[list, list, int, int]:
    header, rows = report_rows(job)
    rows = list(rows)
    pages = max(1, -(-len(rows) // REPORT_PAGE))
    try:
        page = min(max(1, int(request.args.get("page", "1"))), pages)
    except ValueError:
        page = 1
    return header, rows[(page - 1) * REPORT_PAGE : page * REPORT_PAGE], page, pages


def _job_page(job, problems=(), status=200):
    header, rows, page, pages = (
        _report_page(job) if job.status in ("done", "undone") else ([], [], 1, 1)
    )
    return render_template(
        "crm/imports/job.html",
        job=job,
        status_labels=STATUS_LABELS,
        form=ActionForm(),
        header=header,
        rows=rows,
        page=page,
        pages=pages,
        problems=problems,
        editable=editable(job),
        processed=progress_of(job) if job.status == "running" else job.processed,
    ), status


@bp.route("/imports/<id:job_id>")
@require("lead.import")
def import_job(job_id: int):
    return _job_page(job_or_404(job_id))


@bp.route("/imports/<id:job_id>/progress")
@require("lead.import")
def import_progress(job_id: int):
    """The progress bar alone, polled by htmx; once finished the whole page is loaded again."""
    job = job_or_404(job_id)
    response = make_response(
        render_template("crm/imports/_progress.html", job=job, processed=progress_of(job))
    )
    if job.status != "running" and request.headers.get("HX-Request"):
        response.headers["HX-Refresh"] = "true"
    return response


@bp.route("/imports/<id:job_id>/report", methods=["POST"])
@require("lead.import")
def import_report(job_id: int):
    job = job_or_404(job_id)
    fmt = request.form.get("format", "")
    if fmt not in FORMATS or not ActionForm().validate_on_submit():
        abort(400)
    if job.status not in ("done", "undone"):
        abort(404)
    header, rows = report_rows(job)
    # The report names people: who downloaded it is on record, as for lead exports.
    record("export", job, {"format": [None, fmt], "rows": [None, len(job.report or [])]})
    return download(fmt, f"import-{job.id}-report-{utcnow():%Y%m%d-%H%M}.{fmt}", header, rows)


@bp.route("/imports/<id:job_id>/undo", methods=["GET", "POST"])
@require("lead.import")
def import_undo(job_id: int):
    """GET asks for confirmation, saying what the undo will take away; POST undoes."""
    job = job_or_404(job_id)
    if request.method == "GET":
        if job.status != "done" or job.dry_run:
            return redirect(url_for("crm.imports.import_job", job_id=job.id))
        return render_template(
            "crm/imports/undo.html", job=job, form=ActionForm(), removes=undo_summary(job)
        )
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        undo_job(job, current_user)
        db.session.flush()
    except ImportFileError as exc:
        db.session.rollback()
        return _job_page(job, [exc.message], status=409)
    flash(
        gettext("The import was undone: its leads were removed and its merges reverted."), "success"
    )
    return redirect(url_for("crm.imports.import_job", job_id=job.id))


@bp.route("/imports/<id:job_id>/again", methods=["POST"])
@require("lead.import")
def import_again(job_id: int):
    """The same file, mapping and event as a new import; matches are looked for afresh."""
    job = job_or_404(job_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if job.status in ("draft", "running"):
        return redirect(url_for("crm.imports.import_job", job_id=job.id))
    again = ImportJob(
        filename=job.filename,
        stored_path=job.stored_path,
        encoding=job.encoding,
        source=job.source,
        event_id=job.event_id,
        default_country=job.default_country,
        mapping=dict(job.mapping),
        decisions={},
        status="draft",
        total=job.total,
        created_by_id=current_user.id,
    )
    db.session.add(again)
    record("create", again, {"filename": [None, job.filename], "copied_from": [None, job.id]})
    db.session.flush()
    return redirect(url_for("crm.imports.import_review", job_id=again.id))
