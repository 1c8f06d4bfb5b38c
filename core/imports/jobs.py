"""An import job from upload to the decision list: stored file, suggested mapping, checks."""

import threading
from pathlib import Path

from flask import current_app

from core.audit import record
from core.extensions import db
from core.imports.checking import RowCheck, check_rows
from core.imports.errors import ImportFileError
from core.imports.mapping import remembered_mapping, suggest_mapping
from core.imports.reading import Table, read_table
from core.models import ImportJob, User
from core.uploads import display_name, write_upload

USER_DECISIONS = ("create", "merge", "skip")
# Rows processed by jobs running in this process, read by the progress page while they run.
_progress: dict[int, int] = {}
_progress_lock = threading.Lock()


def set_progress(job_id: int, processed: int | None) -> None:
    with _progress_lock:
        if processed is None:
            _progress.pop(job_id, None)
        else:
            _progress[job_id] = processed


def progress_of(job: ImportJob) -> int:
    """Rows processed so far: live while the job runs in this process, else job.processed."""
    with _progress_lock:
        return _progress.get(job.id, job.processed)


def stored_path_of(job: ImportJob) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / job.stored_path


def new_job(
    data: bytes,
    filename: str,
    *,
    user: User | None,
    source: str = "",
    event_id: int | None = None,
    encoding: str | None = None,
    default_country: str | None = None,
) -> ImportJob:
    """Read the file (ImportFileError if unreadable: nothing stored), store it, add a draft job.

    The job gets the detected encoding, the suggested (or remembered for source) mapping and
    its row count; it is added to the session with an audit entry, and the caller commits
    (the file is removed again if that fails). StorageUnavailable if the file cannot be stored.
    """
    table = read_table(data, filename, encoding=encoding)
    source = (source or "").strip()[:120]
    job = ImportJob(
        filename=display_name(filename, "upload", limit=255),
        # Under UPLOAD_DIR (stored_path_of gives the full path); the name is ours, not the sender's.
        stored_path=write_upload("imports", f".{table.kind}", data),
        encoding=table.encoding,
        source=source,
        event_id=event_id,
        mapping=suggest_mapping(table.headers, remembered_mapping(source)),
        decisions={},
        default_country=default_country,
        status="draft",
        total=len(table.rows),
        report=[],
        lead_ids=[],
        created_by_id=user.id if user is not None else None,
    )
    db.session.add(job)
    record(
        "create",
        job,
        {"filename": [None, job.filename], "rows": [None, job.total], "source": [None, source]},
    )
    return job


def load_table(job: ImportJob) -> Table:
    """The job's stored file read again with job.encoding (ImportFileError if it cannot be)."""
    try:
        data = stored_path_of(job).read_bytes()
    except OSError:
        from flask_babel import gettext

        raise ImportFileError(gettext("The uploaded file is no longer stored.")) from None
    return read_table(data, job.filename, encoding=job.encoding)


def apply_decisions(checks: list[RowCheck], decisions: dict) -> list[RowCheck]:
    """The user's choices over the defaults; a blocked row stays rejected, merge needs a match."""
    for check in checks:
        chosen = (decisions or {}).get(str(check.number))
        if chosen in allowed_decisions(check):
            check.decision = chosen
    return checks


def job_checks(job: ImportJob, progress=None) -> list[RowCheck]:
    """check_rows for the job's file and mapping, with the user's decisions applied."""
    checks = check_rows(
        load_table(job), job.mapping, default_country=job.default_country, progress=progress
    )
    return apply_decisions(checks, job.decisions)


def allowed_decisions(check: RowCheck) -> list[str]:
    """The decisions the user may choose for this row (none but "reject" for a blocked row)."""
    if check.blocking:
        return ["reject"]
    if check.match is None:
        return ["create", "skip"]
    return list(USER_DECISIONS)
