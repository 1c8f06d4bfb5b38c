"""Bulk actions on more leads than one request should change: queued for the job worker, run
there as the person who started them (their permissions, their name on the audit trail), with
progress reported as they go, and a page that shows the progress and then the outcome."""

import time

from flask import abort, current_app, g, make_response, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core import audit, periodic
from core import jobs as queue
from core.extensions import db
from core.models import BulkRun, User
from core.models.base import utcnow
from core.permissions import allowed
from crm.leads import bp, bulk_actions
from crm.leads.bulk_actions import ACTIONS
from crm.permissions import require

# The outcome keeps this many refused and skipped leads by name (the counts are all kept).
MAX_KEPT = 500
# The worker reports its progress every so many leads.
REPORT_EVERY = 50


def _key(run_id: int) -> str:
    return f"bulk-progress-{run_id}"


def _report(run_id: int, done: int) -> None:
    # With the time: the run's heartbeat, which reap_stale reads.
    queue.report(_key(run_id), (done, time.time()))


def progress_of(bulk_run: BulkRun) -> int:
    """Leads done so far: as reported while it runs, else as recorded."""
    if bulk_run.status != "running":
        return bulk_run.done
    return queue.reported(_key(bulk_run.id), (bulk_run.done, None))[0]


def reap_stale() -> list[str]:
    """Mark failed the running bulk runs whose worker stopped reporting for IMPORT_STALE_MINUTES
    (killed, or the machine went down: one transaction, so nothing was changed), and the queued
    ones the queue no longer holds."""
    stale = current_app.config["IMPORT_STALE_MINUTES"] * 60
    waiting = {t.args[0] for t in queue.huey.pending() if t.name == run_bulk.name}
    reaped = []
    for bulk_run in db.session.scalars(
        select(BulkRun).where(BulkRun.status.in_(("queued", "running")))
    ):
        beat = queue.reported(_key(bulk_run.id), (None, None))[1]
        started = beat or bulk_run.created_at.timestamp()
        if bulk_run.id not in waiting and time.time() - started > stale:
            with force_locale(bulk_run.user.language if bulk_run.user else "zh"):
                _fail(bulk_run, gettext("no word from the job worker; try again"))
            reaped.append(bulk_run.id)
    return [f"bulk run {run_id}: no word from its worker, marked failed" for run_id in reaped] + [
        f"reaped: {len(reaped)} bulk run(s)"
    ]


REAPER = periodic.Job("reap-bulk-runs", reap_stale, "*/5 * * * *", "every 5 minutes")
# Into the app's table of periodic jobs (and its `flask` commands) when the CRM is registered.
bp.record_once(lambda state: periodic.register(state.app, REAPER))


def start(selection, action: str, form: MultiDict, plan: bulk_actions.Plan) -> BulkRun:
    """Record the run (committed: the worker reads it), then hand it to the job worker with the
    form the preview posted, which it reads again as the request would have."""
    bulk_run = BulkRun(
        user_id=current_user.id,
        action=action,
        status="queued",
        total=len(plan.targets),
        skipped=_named(plan.skipped),
        list_query=selection.query.query_string,
    )
    db.session.add(bulk_run)
    audit.record("create", bulk_run, {"action": [None, action], "leads": [None, bulk_run.total]})
    db.session.commit()
    fields = [(key, value) for key, values in form.lists() for value in values]
    fields = [(key, value) for key, value in fields if key != "csrf_token"]
    locale = str(get_locale() or "zh")
    if not queue.enqueue(run_bulk, bulk_run.id, fields, locale):
        _fail(db.session.get(BulkRun, bulk_run.id), gettext("The job queue cannot be reached."))
    return bulk_run


def _named(pairs) -> list:
    return [[lead.id, lead.company_name, reason] for lead, reason in pairs[:MAX_KEPT]]


def _fail(bulk_run: BulkRun, reason: str) -> None:
    bulk_run.status, bulk_run.finished_at = "failed", utcnow()
    bulk_run.error = gettext("Nothing was changed: %(reason)s", reason=reason)
    audit.record("fail", bulk_run, {"error": [None, bulk_run.error]})
    db.session.commit()
    queue.forget(_key(bulk_run.id))


@queue.task()
def run_bulk(run_id: int, fields: list, locale: str) -> None:
    bulk_run = db.session.get(BulkRun, run_id)
    if bulk_run is None or bulk_run.status != "queued":
        return  # run already, by another worker: not twice
    user = db.session.get(User, bulk_run.user_id)
    path = "/crm/leads/bulk" + (f"?{bulk_run.list_query}" if bulk_run.list_query else "")
    form = MultiDict(fields)
    with (
        current_app.test_request_context(path, method="POST", data=form),
        force_locale(locale),
    ):
        # As the CRM's gate leaves a request of this user: the permission checks, the audit
        # trail's actor and the letters' officer are theirs. Set directly, not by login_user:
        # this is no sign-in (no session, no sign-in signal).
        g._login_user, g.actor, g.timezone = user, f"user:{user.id}", user.timezone
        try:
            _run(bulk_run, request.form)
        except Exception:
            current_app.logger.exception("bulk run %s failed", run_id)
            db.session.rollback()
            kind = gettext("an unexpected error stopped the run; the server log has the details")
            _fail(db.session.get(BulkRun, run_id), kind)


def _run(bulk_run: BulkRun, form) -> None:
    from crm.leads.bulk import Selection

    action = bulk_run.action
    selection = Selection(form, action)
    options, problems = bulk_actions.read_options(action, form)
    if not user_may_still(bulk_run) or selection.problems or problems:
        _fail(bulk_run, " ".join([*selection.problems, *problems]) or gettext("not allowed"))
        return
    result = bulk_actions.plan(action, selection.leads(), options, running=True)
    if len(result.targets) != bulk_run.total:
        _fail(bulk_run, gettext("the leads changed since the preview. Check the preview again."))
        return
    bulk_run.status = "running"
    db.session.commit()
    _report(bulk_run.id, 0)

    def progress(done: int) -> None:
        if done % REPORT_EVERY == 0:
            _report(bulk_run.id, done)

    refused = bulk_actions.run(action, result, options, progress=progress)
    bulk_run.done = len(result.targets) - len(refused)
    bulk_run.refused = _named(refused)
    bulk_run.status, bulk_run.finished_at = "done", utcnow()
    audit.record("finish", bulk_run, {"done": [None, bulk_run.done]})
    db.session.commit()
    queue.forget(_key(bulk_run.id))


def user_may_still(bulk_run: BulkRun) -> bool:
    """Whoever queued it is still active and may still do it (a role taken away meanwhile)."""
    permission = bulk_actions.ACTION_PERMISSIONS.get(bulk_run.action, "lead.edit")
    return current_user.active and allowed(permission) and allowed("lead.edit")


def _run_or_404(run_id: int) -> BulkRun:
    bulk_run = db.session.get(BulkRun, run_id)
    if bulk_run is None:
        abort(404)
    if bulk_run.user_id != current_user.id and current_user.role not in ("admin", "manager"):
        abort(404)  # another person's run is not there for an officer
    return bulk_run


@bp.route("/leads/bulk/runs/<id:run_id>")
@require("lead.edit")
def bulk_run_page(run_id: int):
    bulk_run = _run_or_404(run_id)
    list_url = url_for("crm.leads.leads") + (
        f"?{bulk_run.list_query}" if bulk_run.list_query else ""
    )
    return render_template(
        "crm/leads/bulk_run.html",
        run=bulk_run,
        actions=ACTIONS,
        processed=progress_of(bulk_run),
        list_url=list_url,
    )


@bp.route("/leads/bulk/runs/<id:run_id>/progress")
@require("lead.edit")
def bulk_run_progress(run_id: int):
    """The progress alone, polled by htmx; once finished the whole page is loaded again."""
    bulk_run = _run_or_404(run_id)
    response = make_response(
        render_template(
            "crm/leads/_bulk_progress.html", run=bulk_run, processed=progress_of(bulk_run)
        )
    )
    if bulk_run.status not in ("queued", "running") and request.headers.get("HX-Request"):
        response.headers["HX-Refresh"] = "true"
    return response
