"""OutboxEmail: mail written in the same transaction as its record, sent after commit; the lead's
files it carries (outbox_attachment)."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.lead_file import LeadFile

OUTBOX_STATUSES = ("queued", "sent", "parked")

# The files a mail carries: kept with the lead (LeadFile), read from storage at each attempt.
# A file erased with its person takes the link with it, and the mail is then parked unsent.
outbox_attachment = Table(
    "outbox_attachment",
    db.metadata,
    Column(
        "outbox_email_id",
        ForeignKey("outbox_email.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "lead_file_id",
        ForeignKey("lead_file.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


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

    attachments: Mapped[list[LeadFile]] = relationship(
        secondary=outbox_attachment, order_by=LeadFile.id
    )
