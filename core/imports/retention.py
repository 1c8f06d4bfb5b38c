"""Uploaded import files hold personal data: they are kept for a while (to read again, to import
again), then removed by the nightly `apply-retention`; the job and its report stay."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from core.audit import record
from core.extensions import db
from core.imports.review_store import drop as drop_review
from core.models.base import utcnow
from core.models.lead_import import ImportJob
from core.uploads import remove_after_commit

DEFAULT_DAYS = 30


def uploads_due(now: datetime | None = None) -> list[ImportJob]:
    """Jobs older than IMPORT_FILE_DAYS whose file is still kept (never one that is running)."""
    days = int(current_app.config.get("IMPORT_FILE_DAYS", DEFAULT_DAYS))
    cutoff = (now or utcnow()) - timedelta(days=days)
    return list(
        db.session.scalars(
            select(ImportJob).where(
                ImportJob.created_at < cutoff,
                ImportJob.stored_path != "",
                ImportJob.status != "running",
            )
        )
    )


def remove_uploads(dry_run: bool = False, now: datetime | None = None) -> list[ImportJob]:
    """Remove the files of the jobs due (commits); with dry_run, only say which."""
    due = uploads_due(now)
    if dry_run:
        return due
    keys = {job.stored_path for job in due}
    for job in due:
        record("update", job, {"stored_path": [job.stored_path, ""]}, actor="system")
        job.stored_path = ""
        drop_review(job.id)
    # "Import this file again" makes jobs that share one file: a newer one still reads it.
    shared = db.session.scalars(
        select(ImportJob.stored_path).where(
            ImportJob.stored_path.in_(keys), ImportJob.id.not_in([job.id for job in due])
        )
    )
    remove_after_commit(keys - set(shared))
    db.session.commit()
    return due
