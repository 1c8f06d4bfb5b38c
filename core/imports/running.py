"""Running an import: every row created, merged or skipped in one transaction, or none; on the
job worker for large files, with progress every server sees, and reaped if its worker died."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale, get_locale, gettext
from sqlalchemy import select

from core.audit import record
from core.extensions import db
from core.imports.errors import ImportFileError
from core.imports.jobs import heartbeat_of, job_checks, set_progress
from core.imports.writing import Writer
from core.jobs import enqueue, huey, task
from core.models import ImportJob, User
from core.models.base import utcnow

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """What each row becomes: a new lead (by its place in `new`), a merge, a skip, a rejection."""

    new: list = field(default_factory=list)  # RowCheck of each lead to create, in order
    # row number -> ("new", position in new) | ("lead", lead id): where later rows merge to.
    targets: dict[int, tuple[str, int]] = field(default_factory=dict)
    merges_new: list = field(default_factory=list)  # (RowCheck, position in new)
    merges_lead: list = field(default_factory=list)  # (RowCheck, lead id)
    flags: list = field(default_factory=list)  # (RowCheck, ("new", pos) | ("lead", id), reason)
    outcomes: dict[int, dict] = field(default_factory=dict)


def _in_order(checks) -> list:
    """The rows in file order, except that a row pointed at a later row comes right after it,
    so the lead it merges into exists first (rows pointing at each other: the first one leads)."""
    numbers = {c.number for c in checks}
    waiting: dict[int, list] = {}
    placed: set[int] = set()
    order: list = []

    def place(check) -> None:
        stack = [check]
        while stack:
            row = stack.pop()
            if row.number not in placed:
                order.append(row)
                placed.add(row.number)
                stack.extend(reversed(waiting.pop(row.number, [])))

    for check in checks:
        target = check.match.row if check.match is not None and check.decision == "merge" else None
        if target in numbers and target not in placed and target != check.number:
            waiting.setdefault(target, []).append(check)
        else:
            place(check)
    while waiting:
        for check in waiting.pop(min(waiting)):
            place(check)
    return order


def plan(checks) -> Plan:
    """Resolve the decisions against each other (a row merging into a skipped row is created)."""
    p = Plan()
    for check in _in_order(checks):
        n, match = check.number, check.match
        entry = {"row": n, "company": check.values.get("company", "")}
        if check.decision == "reject":
            entry.update(outcome="rejected", reason="problems", detail="; ".join(check.problems))
        elif check.decision == "skip":
            entry.update(outcome="skipped", reason="chosen", detail=match.label if match else "")
        else:
            target = None
            if match is not None:
                target = ("lead", match.lead_id) if match.lead_id else p.targets.get(match.row)
            if check.decision == "merge" and target is not None:
                p.targets[n] = target
                if target[0] == "lead":
                    p.merges_lead.append((check, target[1]))
                else:
                    p.merges_new.append((check, target[1]))
                entry.update(outcome="merged", reason=f"match_{match.reason}", score=match.score)
                entry.update(detail=match.label, in_file=match.row)
            elif check.decision == "different" and match is not None:
                # A person said these are two firms: created, not flagged as a duplicate.
                p.targets[n] = ("new", len(p.new))
                p.new.append(check)
                entry.update(outcome="created", reason="different", detail=match.label)
            else:
                p.targets[n] = ("new", len(p.new))
                if target is not None:
                    p.flags.append((check, target, match))
                p.new.append(check)
                entry.update(outcome="created", reason="flagged" if target else "new")
                entry.update(detail=match.label if target else "")
        p.outcomes[n] = entry
    return p


def run_job(
    job: ImportJob, *, user: User | None = None, progress: Callable[[int], None] | None = None
) -> ImportJob:
    """Run the job in one transaction and commit; on failure roll back and mark it failed.

    Fills the counts and the per-row report; a dry run writes only the job. Rows merge only into
    leads `user` (by default the job's creator) may change: core.imports.jobs.decide.
    """
    job_id = job.id
    last_report = 0.0

    def tick(done: int) -> None:
        nonlocal last_report
        # At most twice a second: each report is a write to the queue's storage.
        if time.monotonic() - last_report >= REPORT_SECONDS:
            set_progress(job_id, done)
            last_report = time.monotonic()
        if progress is not None:
            progress(done)

    wrote = job.status == "done" and bool(job.lead_ids or job.merges)
    if wrote or job.status == "undone":
        # Raised to the caller, the job left as it is: running it twice would import twice.
        raise ImportFileError(gettext("This import has already been run."))
    try:
        # A failed run or a dry run may be run again: start from nothing.
        job.status, job.started_at = "running", job.started_at or utcnow()
        job.created = job.merged = job.skipped = job.rejected = job.processed = 0
        job.report, job.lead_ids, job.error, job.finished_at = [], [], "", None
        # Progress counts each row twice, checked then written, shown as rows: half a row each.
        total = job.total
        checks = job_checks(job, user, progress=lambda n: tick(min(n, total) // 2))
        job.total = total = len(checks)
        p = plan(checks)
        if job.dry_run:
            tick(total)
        else:
            writer = Writer(job, lambda done: tick((total + done) // 2))
            writer.write(p, checks)
            for n, lead_id in writer.lead_of_row.items():
                p.outcomes[n]["lead_id"] = lead_id
            job.lead_ids = writer.created_ids
        report = [p.outcomes[c.number] for c in checks]
        counts = {o: sum(1 for e in report if e["outcome"] == o) for o in OUTCOMES}
        job.created, job.merged = counts["created"], counts["merged"]
        job.skipped, job.rejected = counts["skipped"], counts["rejected"]
        job.report, job.processed = report, len(checks)
        job.status, job.finished_at, job.error = "done", utcnow(), ""
        record("run", job, {k: [None, v] for k, v in counts.items()}, actor=_actor(job))
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        if not isinstance(exc, ImportFileError):
            log.exception("import %s failed", job_id)
        message = (
            exc.message
            if isinstance(exc, ImportFileError)
            else gettext(
                "an unexpected error stopped the run (%(kind)s); the server log has the details",
                kind=type(exc).__name__,
            )
        )
        job = db.session.get(ImportJob, job_id)
        job.status, job.finished_at = "failed", utcnow()
        job.error = gettext("Nothing was imported: %(reason)s", reason=message)
        record("fail", job, {"error": [None, job.error]}, actor=_actor(job))
        db.session.commit()
    finally:
        set_progress(job_id, None)
    return job


OUTCOMES = ("created", "merged", "skipped", "rejected")
REPORT_SECONDS = 0.5


def _actor(job: ImportJob) -> str:
    return f"user:{job.created_by_id}" if job.created_by_id else "system"


def start_job(job_id: int, user: User | None = None) -> None:
    """Mark the claimed job running, commit, and hand it to the job worker, to run for `user`.

    Its progress is reported to the queue's storage (every web worker reads it); if its worker
    dies, reap_stale marks it failed (nothing was written: one transaction) for a retry.
    """
    job = db.session.get(ImportJob, job_id)
    job.status, job.started_at, job.processed = "running", utcnow(), 0
    db.session.commit()
    set_progress(job_id, 0)
    # The worker writes texts (the history note, the error) in the language of who started it.
    locale = str(get_locale() or "zh")
    if not enqueue(run_import, job_id, user.id if user is not None else None, locale):
        _fail(db.session.get(ImportJob, job_id), "QueueUnavailable")


@task()
def run_import(job_id: int, user_id: int | None, locale: str) -> None:
    with force_locale(locale):
        job = db.session.get(ImportJob, job_id)
        if job is None or job.status != "running":
            return  # reaped meanwhile, or run again by someone else: not twice
        runner = db.session.get(User, user_id) if user_id is not None else None
        run_job(job, user=runner)


def _fail(job: ImportJob, kind: str) -> None:
    job.status, job.finished_at = "failed", utcnow()
    job.error = gettext(
        "Nothing was imported: %(reason)s",
        reason=gettext(
            "an unexpected error stopped the run (%(kind)s); the server log has the details",
            kind=kind,
        ),
    )
    record("fail", job, {"error": [None, job.error]}, actor=_actor(job))
    db.session.commit()
    set_progress(job.id, None)


def reap_stale() -> list[str]:
    """Mark failed the running imports whose worker stopped reporting for IMPORT_STALE_MINUTES
    (killed, or the machine went down), unless still waiting in the queue."""
    stale = timedelta(minutes=current_app.config["IMPORT_STALE_MINUTES"])
    now = utcnow()
    waiting = {t.args[0] for t in huey.pending() if t.name == run_import.name}
    reaped = []
    for job in db.session.scalars(select(ImportJob).where(ImportJob.status == "running")):
        beat = heartbeat_of(job.id)
        last = now - timedelta(seconds=time.time() - beat) if beat else job.started_at
        if job.id not in waiting and (last is None or now - last > stale):
            _fail(job, "WorkerLost")
            reaped.append(job.id)
    return [f"import {job_id}: no word from its worker, marked failed" for job_id in reaped] + [
        f"reaped: {len(reaped)} import(s)"
    ]
