"""Step three: the matches found and a decision per row, then a dry run or the import itself."""

from collections import Counter

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select, update

from core.audit import record
from core.extensions import db
from core.imports import ImportFileError, run_job, start_job
from core.imports.review_store import review_checks
from core.models import Lead
from core.models.base import utcnow
from core.models.lead_import import ImportJob
from crm.imports import bp
from crm.imports.choices import options, store, stored_choice
from crm.imports.common import choice_label, draft_and_table, field_labels, job_or_404
from crm.imports.compare import compare
from crm.imports.forms import ActionForm
from crm.permissions import require, visible_leads

PAGE_SIZE = 100
# Up to this many rows the import runs within the request; larger files on the job worker.
INLINE_ROWS = 5000
SHOWS = ("attention", "all")


def visible_lead_ids(checks) -> set[int]:
    """Matched leads this user may open: others are named but not linked."""
    ids = {c.match.lead_id for c in checks if c.match is not None and c.match.lead_id}
    if not ids:
        return set()
    return set(db.session.scalars(select(Lead.id).where(Lead.id.in_(ids), visible_leads())))


def _page_args() -> tuple[str, int]:
    show = request.args.get("show", "attention")
    if show not in SHOWS:
        show = "attention"
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    return show, page


def _render(job, checks, show, page):
    listed = checks if show == "all" else [c for c in checks if c.match or c.problems]
    pages = max(1, -(-len(listed) // PAGE_SIZE))
    page = min(page, pages)
    rows = listed[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    visible = visible_lead_ids(rows)
    return render_template(
        "crm/imports/review.html",
        job=job,
        rows=rows,
        listed=len(listed),
        counts=Counter(c.decision for c in checks),
        show=show,
        page=page,
        pages=pages,
        form=ActionForm(),
        choices=lambda check: options(job, check),
        current=lambda check: stored_choice(job, check),
        choice_label=choice_label,
        labels=field_labels(),
        comparisons=compare(rows, checks, job, visible),
        visible=visible,
    )


def _waiting(job):
    """The page (or, to its poll, the part) saying the worker is matching the rows."""
    fragment = request.args.get("poll") and request.method == "GET"
    name = "_review_waiting.html" if fragment else "review_waiting.html"
    return render_template(f"crm/imports/{name}", job=job)


def _ready(job):
    """The answer to the waiting page's poll once the matches are stored: load the review."""
    response = make_response("")
    response.headers["HX-Refresh"] = "true"
    return response


def _save_decisions(job, checks) -> None:
    """Take the choices for the rows shown on the page; only those differing from the default
    are stored, so a later look at the file (new leads since) still gets fresh defaults. The
    list offers only open choices: anything else is a forged form (pointing is the row page's)."""
    by_number = {c.number: c for c in checks}
    changed: tuple[dict, dict] = ({}, {})
    for raw in request.form.getlist("row"):
        check = by_number.get(int(raw)) if raw.isdigit() else None
        if check is None:
            abort(400)
        chosen = request.form.get(f"decision-{check.number}", stored_choice(job, check))
        if chosen not in options(job, check):
            abort(400)
        store(job, check, chosen, checks, changed)
    if changed[0]:
        record("update", job, {"decisions": list(changed)})


def _run(job, dry_run: bool):
    # Claimed with one conditional UPDATE: a double click or a second tab cannot run it twice.
    claimed = db.session.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status == job.status)
        # started_at: the reaper's clock until the run reports progress.
        .values(status="running", dry_run=dry_run, started_at=utcnow())
    )
    # Committed at once: the claim must hold before a long run starts, whoever else tries.
    db.session.commit()
    if claimed.rowcount != 1:
        flash(gettext("This import is already running or has run."), "error")
        return redirect(url_for("crm.imports.import_job", job_id=job.id))
    try:
        user = current_user._get_current_object()
        if job.total <= current_app.config.get("IMPORT_INLINE_ROWS", INLINE_ROWS):
            run_job(job, user=user)
        else:
            start_job(job.id, user)
    except ImportFileError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("crm.imports.import_job", job_id=job.id))


@bp.route("/imports/<id:job_id>/review", methods=["GET", "POST"])
@require("lead.import")
def import_review(job_id: int):
    inline = job_or_404(job_id).total <= current_app.config["IMPORT_INLINE_ROWS"]
    job, table, elsewhere = draft_and_table(job_id, read=inline)
    if elsewhere is not None:
        return elsewhere
    # As the engine will run it for this user: defaults, their merge rule, stored decisions.
    checks = review_checks(job, current_user._get_current_object(), table=table)
    if checks is None:  # the worker is matching the rows; the page asks again until it is done
        return _waiting(job)
    if request.args.get("poll") and request.method == "GET":
        return _ready(job)
    show, page = _page_args()
    if request.method == "GET":
        return _render(job, checks, show, page)
    if not ActionForm().validate_on_submit():
        abort(400)
    action = request.form.get("action", "save")
    if action not in ("save", "dry_run", "run"):
        abort(400)
    _save_decisions(job, checks)
    if action == "save":
        db.session.flush()
        flash(gettext("Your decisions were saved."), "success")
        return redirect(url_for("crm.imports.import_review", job_id=job.id, show=show, page=page))
    return _run(job, dry_run=action == "dry_run")
