"""A bulk action on more leads than one request should change, run by the job worker: who
started it, its progress and its outcome (the leads it refused or skipped, and why)."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow

BULK_RUN_STATUSES = ("queued", "running", "done", "failed")


class BulkRun(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    # Leads the preview said it would change, and those changed once it is done.
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    # [lead id, company name, reason] for each lead refused while running or skipped by the plan.
    refused: Mapped[list] = mapped_column(JSON, default=list)
    skipped: Mapped[list] = mapped_column(JSON, default=list)
    # The lead list's filter the selection came from, for the way back.
    list_query: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")

    def __repr__(self) -> str:
        return f"<BulkRun {self.id} {self.action} {self.status}>"
