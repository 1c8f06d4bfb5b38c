"""One run of a periodic job (scheduled, run now from the CRM, or its `flask` command)."""

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models.base import UTCDateTime, utcnow

JOB_RUN_STATUSES = ("running", "ok", "failed")


class JobRun(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The job's report lines, or the error that stopped it.
    report: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")

    # The last run of each job, and the old runs retention removes.
    __table_args__ = (Index("ix_job_run_name_started_at", "name", "started_at"),)

    def __repr__(self) -> str:
        return f"<JobRun {self.id} {self.name} {self.status}>"
