"""Activity: a call, meeting, site visit, email, note or task logged on a lead."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.user import User

ACTIVITY_KINDS = ("call", "meeting", "site_visit", "email", "note", "task")


class Activity(db.Model):
    __table_args__ = (Index("ix_activity_open_tasks", "assignee_id", "done_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # Emails only: "in" (received from the investor) or "out" (sent by the bureau).
    direction: Mapped[str | None] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Tasks only: when they are due, who must do them, and when they were done.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def is_task(self) -> bool:
        return self.kind == "task"
