"""The review of a large import computed once on the job worker and stored: matching tens of
thousands of rows against every lead takes tens of seconds, too long for a request and wasteful
on every page of the review. The run itself matches again (leads change meanwhile)."""

import hashlib
import json
import time
from dataclasses import asdict

from flask import current_app
from sqlalchemy import delete

from core import jobs as queue
from core.extensions import db
from core.imports.checking import Match, RowCheck, check_rows
from core.imports.jobs import decide, job_checks, load_table
from core.models import ImportJob, ImportReview, User


def key_of(job: ImportJob) -> str:
    """What the matches depend on besides the leads: the file, how it is read and mapped."""
    basis = [job.stored_path, job.encoding, job.mapping, job.default_country]
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def as_dict(check: RowCheck) -> dict:
    entry = asdict(check)
    entry.pop("keys"), entry.pop("phone_e164")  # the run's own, recomputed by it
    return entry


def _as_check(entry: dict) -> RowCheck:
    match = entry.pop("match")
    if match:  # reviews stored before a field was dropped keep only today's fields
        match = {k: v for k, v in match.items() if k in Match.__dataclass_fields__}
    return RowCheck(**entry, match=Match(**match) if match else None)


def stored_checks(job: ImportJob) -> list[RowCheck] | None:
    review = db.session.get(ImportReview, job.id)
    if review is None or review.key != key_of(job):
        return None
    return [_as_check(dict(entry)) for entry in review.checks]


def store(job: ImportJob) -> None:
    """Match the job's rows now and keep the result (the caller commits)."""
    checks = check_rows(load_table(job), job.mapping, default_country=job.default_country)
    drop(job.id)
    db.session.add(ImportReview(job_id=job.id, key=key_of(job), checks=list(map(as_dict, checks))))


def drop(job_id: int) -> None:
    """Forget the stored review with the file it copies (retention, anonymisation)."""
    db.session.execute(delete(ImportReview).where(ImportReview.job_id == job_id))


@queue.task()
def prepare_review(job_id: int, key: str) -> None:
    job = db.session.get(ImportJob, job_id)
    if job is not None and job.stored_path and key_of(job) == key:
        store(job)  # if this raises, the page asks again after IMPORT_STALE_MINUTES
        db.session.commit()
    queue.forget(_asked(job_id))


def _asked(job_id: int) -> str:
    return f"import-review-{job_id}"


def review_checks(job: ImportJob, user: User | None, table=None) -> list[RowCheck] | None:
    """The rows as the run would decide them for `user`; None while the worker matches them.

    Up to IMPORT_INLINE_ROWS rows are matched within the request, as they run there too.
    """
    if job.total <= current_app.config["IMPORT_INLINE_ROWS"]:
        return job_checks(job, user, table=table)
    checks = stored_checks(job)
    if checks is None:
        key = key_of(job)
        asked = queue.reported(_asked(job.id))
        stale = current_app.config["IMPORT_STALE_MINUTES"] * 60
        # Asked once per file and mapping, again if the worker never answered.
        if not asked or asked[0] != key or time.time() - asked[1] > stale:
            queue.report(_asked(job.id), (key, time.time()))
            queue.enqueue(prepare_review, job.id, key)
            checks = stored_checks(job)  # a queue in immediate mode has matched already
    if checks is None:
        return None
    return decide(checks, job.decisions, user if user is not None else job.created_by)
