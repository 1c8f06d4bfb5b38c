"""An anonymised person in the imports: their rows in job reports, the job's name and history
notes that name them, and the uploaded file that holds them (removed, said on the job's trail)."""

from sqlalchemy import select

from core.audit import record
from core.extensions import db
from core.forgetting import ANONYMISED, Person, folded_text, scrub_audit
from core.forgetting import scrub_rows as scrub_text_rows
from core.imports.errors import ImportFileError
from core.imports.reading import Table, read_table
from core.imports.review_store import drop as drop_review
from core.models import AuditEntry, ImportJob, ImportMerge, StageChange
from core.uploads import read_upload, remove_after_commit


def linked_jobs(lead_ids: list[int]) -> list[ImportJob]:
    """The imports that created these leads or merged rows into them (their audit entries and
    undo records say which)."""
    ids = set(
        db.session.scalars(select(ImportMerge.job_id).where(ImportMerge.lead_id.in_(lead_ids)))
    )
    for changes in db.session.scalars(
        select(AuditEntry.changes).where(
            AuditEntry.entity_type == "Lead", AuditEntry.entity_id.in_(lead_ids)
        )
    ):
        pair = (changes or {}).get("import")
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], int):
            ids.add(pair[1])
    return list(
        db.session.scalars(select(ImportJob).where(ImportJob.id.in_(ids)).order_by(ImportJob.id))
    )


class KeptFiles:
    """The import files still kept, each read once however many people are looked for in it
    (retention anonymises many leads in one run); nothing is kept beyond its user."""

    def __init__(self) -> None:
        self._read: dict[str, tuple[Table | None, str]] = {}

    def of(self, job: ImportJob) -> tuple[Table | None, str]:
        """The job's file as a table and as folded text; (None, "") when gone or unreadable."""
        if not job.stored_path:
            return None, ""
        if job.stored_path not in self._read:
            self._read[job.stored_path] = _read(job)
        return self._read[job.stored_path]

    def names(self, job: ImportJob, person: Person) -> bool:
        return person.mentions(self.of(job)[1], folded=True) or person.mentions(job.stored_path)


def _read(job: ImportJob) -> tuple[Table | None, str]:
    try:
        table = read_table(read_upload(job.stored_path), job.filename, encoding=job.encoding)
    except (OSError, ImportFileError):
        return None, ""
    return table, folded_text("\n".join(" ".join(row) for row in [table.headers, *table.rows]))


def forget_in_imports(
    person: Person, lead_ids: list[int], actor: str | None = None, files: KeptFiles | None = None
) -> None:
    """Scrub the imports that wrote these leads, or whose kept file names the person."""
    files = files or KeptFiles()
    jobs = {job.id: job for job in linked_jobs(lead_ids)}
    linked = set(jobs)
    kept = list(
        db.session.scalars(
            select(ImportJob).where(ImportJob.stored_path != "", ImportJob.status != "running")
        )
    )
    # A file that wrote the leads, or that names the person, goes; with it every job reading it
    # ("Import this file again" makes jobs that share one file).
    doomed = {job.stored_path for job in kept if job.id in linked or files.names(job, person)}
    jobs |= {job.id: job for job in kept if job.stored_path in doomed}
    for merge in db.session.scalars(select(ImportMerge).where(ImportMerge.lead_id.in_(lead_ids))):
        merge.changes = person.scrub_value(merge.changes)
    summaries, old_names = {}, set()
    for job in jobs.values():
        rows = _scrub_report(job, person, set(lead_ids))
        removed = job.stored_path in doomed
        renamed = person.mentions(job.filename)
        if renamed:
            old_names.add(job.filename)
            job.filename = person.scrub(job.filename)[:255]
        job.source, job.error = person.scrub(job.source)[:120], person.scrub(job.error)
        if removed:
            job.stored_path = ""
            drop_review(job.id)
        if rows or removed or renamed or job.id in linked:
            summaries[job.id] = {"rows": [None, rows], "file_removed": [False, removed]}
    for old_name in old_names:
        # The history of every lead the import created says which file it came from.
        scrub_text_rows(
            person, StageChange, ("note",), StageChange.note.contains(old_name, autoescape=True)
        )
    scrub_audit(person, {"ImportJob": list(jobs)})
    for job_id, changes in summaries.items():
        record("anonymise", jobs[job_id], changes, actor=actor)
    remove_after_commit(doomed)


def _scrub_report(job: ImportJob, person: Person, lead_ids: set[int]) -> int:
    """The person's rows lose the company; identifiers go from every row. Returns rows changed."""
    report, changed = [], 0
    for entry in job.report or []:
        scrubbed = person.scrub_value(entry)
        if entry.get("lead_id") in lead_ids and entry.get("company"):
            scrubbed["company"] = ANONYMISED
        changed += scrubbed != entry
        report.append(scrubbed)
    if changed:
        job.report = report
    return changed


def import_rows(lead_ids: list[int], person: Person | None = None) -> list[dict]:
    """The rows of imports that became or merged into these leads, with what the kept file said
    in each (while it is kept); with person, only the rows that name them."""
    rows, files = [], KeptFiles()
    for job in linked_jobs(lead_ids):
        table = files.of(job)[0]
        for entry in job.report or []:
            if entry.get("lead_id") not in lead_ids:
                continue
            number = entry.get("row") or 0
            values = {}
            if table is not None and 0 < number <= len(table.rows):
                values = dict(zip(table.headers, table.rows[number - 1], strict=False))
            if person is not None and values and not any(map(person.mentions, values.values())):
                continue
            rows.append(
                {
                    "id": f"{job.id}-{number}", "import": job.id, "filename": job.filename,
                    "imported_at": job.finished_at, "row": number, "outcome": entry.get("outcome"),
                    "company": entry.get("company", ""), "values": values,
                }
            )  # fmt: skip
    return rows
