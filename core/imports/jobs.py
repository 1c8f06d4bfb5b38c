"""An import job from upload to the decision list: stored file, suggested mapping, checks, who
may merge rows into which lead (for the CRM's pages and every run alike), and the progress a
running job reports."""

import time

from flask_babel import gettext
from sqlalchemy import select

from core import jobs as queue
from core.audit import record
from core.extensions import db
from core.imports.checking import Match, RowCheck, check_rows
from core.imports.errors import ImportFileError
from core.imports.mapping import remembered_mapping, suggest_mapping
from core.imports.reading import Table, read_table
from core.models import ImportJob, Lead, User
from core.permissions import can
from core.uploads import display_name, read_upload, write_upload

USER_DECISIONS = ("create", "merge", "different", "skip")
# Matched leads loaded per query when checking who may merge into them (SQL variable limits).
LEADS_PER_QUERY = 500


def _key(job_id: int) -> str:
    return f"import-progress-{job_id}"


def set_progress(job_id: int, processed: int | None) -> None:
    """Report rows processed (with the time: the job's heartbeat) where every web worker and
    server reads it (the queue's storage); None when the run is over."""
    if processed is None:
        queue.forget(_key(job_id))
    else:
        queue.report(_key(job_id), (processed, time.time()))


def heartbeat_of(job_id: int) -> float | None:
    """When the running job last reported (a Unix time), None if it never did."""
    return queue.reported(_key(job_id), (None, None))[1]


def progress_of(job: ImportJob) -> int:
    """Rows processed so far: as reported while the job runs, else job.processed."""
    if job.status != "running":
        return job.processed
    return queue.reported(_key(job.id), (job.processed, None))[0]


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
        # The key of the stored file (core/uploads.py); the name is ours, not the sender's.
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


def load_table(job: ImportJob, encoding: str | None = None) -> Table:
    """The job's stored file read again, with job.encoding unless another is given
    (ImportFileError if it is gone or cannot be read so)."""
    try:
        data = read_upload(job.stored_path)
    except OSError:
        raise ImportFileError(gettext("The uploaded file is no longer stored.")) from None
    return read_table(data, job.filename, encoding=encoding or job.encoding)


def mergeable_leads(checks: list[RowCheck], user: User | None, more=()) -> set[int] | None:
    """The matched leads (and `more` lead ids) `user` may merge rows into (those they may change:
    an officer's own); None when any, for a run without a user (the operator's `flask
    import-leads`). Merged-away leads are never a target."""
    if user is None:
        return None
    ids = {c.match.lead_id for c in checks if c.match is not None and c.match.lead_id}
    ids = sorted(ids | set(more))
    mergeable = set()
    for start in range(0, len(ids), LEADS_PER_QUERY):
        leads = db.session.scalars(
            select(Lead).where(
                Lead.id.in_(ids[start : start + LEADS_PER_QUERY]), Lead.merged_into_id.is_(None)
            )
        )
        mergeable.update(lead.id for lead in leads if can("lead.edit", lead, user))
    return mergeable


def pointed_at(chosen) -> tuple[str, int] | None:
    """("row", n) or ("lead", id) for a decision that points a row elsewhere, else None."""
    kind, _, number = str(chosen or "").partition(":")
    if kind in ("row", "lead") and number.isdigit() and 0 < int(number) < 2**31:
        return kind, int(number)
    return None


def _point(check: RowCheck, target: tuple[str, int], by_number: dict, leads: dict) -> bool:
    """Make the row merge where the person pointed it; False if that target cannot take it."""
    kind, number = target
    if kind == "row":
        other = by_number.get(number)
        if other is None or other is check or other.blocking:
            return False
        check.match = Match("chosen", 100, other.values.get("company", ""), row=number)
    else:
        if number not in leads:
            return False
        check.match = Match("chosen", 100, leads[number], lead_id=number)
    check.no_merge, check.decision = False, "merge"
    return True


def decide(checks: list[RowCheck], decisions: dict, user: User | None) -> list[RowCheck]:
    """Each row's default, then the user's choice over it where allowed.

    A row merges only into a lead the user may change; for any other existing lead it matches it
    is created, flagged as a possible duplicate, for the lead's owner to merge. A blocked row stays
    rejected; merge needs a match. A row pointed at another row or at a lead merges there (the
    match becomes that choice, reason "chosen"); "different" creates it, not flagged.
    """
    decisions = decisions or {}
    pointed = {c.number: pointed_at(decisions.get(str(c.number))) for c in checks}
    chosen_leads = sorted({t[1] for t in pointed.values() if t and t[0] == "lead"})
    mergeable = mergeable_leads(checks, user, chosen_leads)
    leads = dict(
        db.session.execute(
            select(Lead.id, Lead.company_name).where(
                Lead.id.in_(chosen_leads), Lead.merged_into_id.is_(None)
            )
        ).all()
    ) if chosen_leads else {}  # fmt: skip
    leads = {i: name for i, name in leads.items() if mergeable is None or i in mergeable}
    by_number = {c.number: c for c in checks}
    for check in checks:
        lead_id = check.match.lead_id if check.match is not None else None
        check.no_merge = bool(lead_id and mergeable is not None and lead_id not in mergeable)
        if check.no_merge and check.decision == "merge":
            check.decision = "create"
        check.default = check.decision
        if check.blocking:
            continue
        chosen = decisions.get(str(check.number))
        if pointed[check.number]:
            _point(check, pointed[check.number], by_number, leads)
        elif chosen in allowed_decisions(check):
            check.decision = chosen
    return checks


def job_checks(
    job: ImportJob, user: User | None = None, *, table: Table | None = None, progress=None
) -> list[RowCheck]:
    """check_rows for the job's file (or the table already read from it) and mapping, decided
    for `user` (by default the job's creator: see decide)."""
    checks = check_rows(
        table if table is not None else load_table(job),
        job.mapping,
        default_country=job.default_country,
        progress=progress,
    )
    return decide(checks, job.decisions, user if user is not None else job.created_by)


def allowed_decisions(check: RowCheck) -> list[str]:
    """The decisions the user may choose for this row (none but "reject" for a blocked row);
    pointing at another row or lead (pointed_at) is open to every row that is not blocked."""
    if check.blocking:
        return ["reject"]
    if check.match is None:
        return ["create", "skip"]
    if check.no_merge:
        return ["create", "different", "skip"]
    return list(USER_DECISIONS)
