"""OutboxEmail: mail written in the same transaction as its record, sent after commit."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models.base import UTCDateTime, utcnow

OUTBOX_STATUSES = ("queued", "sent", "parked")


class OutboxEmail(db.Model):
    __table_args__ = (Index("ix_outbox_email_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("lead.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fixed when queued, so every attempt sends the same one and a reply's In-Reply-To finds it.
    message_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    # The From header's display name (an officer's) and where replies go (the lead's address).
    sender_name: Mapped[str | None] = mapped_column(String(200))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    # The received mail this one answers (its Message-ID, and the thread's References).
    in_reply_to: Mapped[str | None] = mapped_column(String(500))
    references: Mapped[str | None] = mapped_column(Text)
    # Auto-Submitted: auto-generated only on mail no person wrote or chose to send.
    automatic: Mapped[bool] = mapped_column(default=True, server_default=true())
    # An iCalendar invitation or cancellation sent as the mail's text/calendar part (METHOD inside).
    calendar: Mapped[str | None] = mapped_column(Text)
