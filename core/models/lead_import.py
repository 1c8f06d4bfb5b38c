"""Lead imports: the job of one uploaded file, what it changed (for undo), remembered mappings."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.event import Event
from core.models.user import User

IMPORT_STATUSES = ("draft", "running", "done", "failed", "undone")
IMPORT_DECISIONS = ("create", "merge", "skip", "reject")


class ImportMapping(db.Model):
    """Which column goes to which lead field, remembered per source ("EU-China fair scanner")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(120), unique=True)
    # {header: field key}; "" for a column the user chose to ignore.
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ImportJob(db.Model):
    """One uploaded file from upload through preview, run, report and perhaps undo."""

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    # The stored file's key, "imports/<hex>.<kind>" (core/uploads.py), read again for the run;
    # "" once removed. Jobs made by "Import this file again" share their file's key.
    stored_path: Mapped[str] = mapped_column(String(500))
    # The encoding used to read a CSV (detected or chosen); None for XLSX.
    encoding: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(120), default="")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    # The user's choices, {"<row number>": "create" | "merge" | "different" | "skip", or where a
    # person pointed the row: "row:<number>" | "lead:<id>"}; defaults are not stored.
    decisions: Mapped[dict] = mapped_column(JSON, default=dict)
    default_country: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    dry_run: Mapped[bool] = mapped_column(default=False)
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    merged: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    # One entry per data row: {"row": n, "outcome": ..., "lead_id": ..., "reason": ...}.
    report: Mapped[list] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    # The leads this import created: undo deletes exactly these.
    lead_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    event: Mapped[Event | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    undone_by: Mapped[User | None] = relationship(foreign_keys=[undone_by_id])
    merges: Mapped[list["ImportMerge"]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="ImportMerge.id"
    )

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "undone")

    def __repr__(self) -> str:
        return f"<ImportJob {self.id} {self.filename!r} {self.status}>"


class ImportMerge(db.Model):
    """What one import added to an existing lead, so that undo can take exactly that away."""

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_job.id", ondelete="CASCADE"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    row: Mapped[int] = mapped_column(default=0)
    contact_ids: Mapped[list] = mapped_column(JSON, default=list)
    inquiry_ids: Mapped[list] = mapped_column(JSON, default=list)
    # Lead fields the import filled, {field: [before, after]}; undo puts "before" back.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    job: Mapped[ImportJob] = relationship(back_populates="merges")


class ImportReview(db.Model):
    """The matches of a draft import's rows, computed once (on the job worker for a large file)
    for its file and mapping (`key`), so the review page does not match every row against every
    lead on each request. Removed with the job's file, whose rows it copies."""

    job_id: Mapped[int] = mapped_column(
        ForeignKey("import_job.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # One entry per data row: core.imports.review_store.as_dict of its RowCheck.
    checks: Mapped[list] = mapped_column(JSON, default=list)
