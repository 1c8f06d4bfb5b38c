"""Notification: something a member of staff is told in the CRM (and by mail if they chose);
WebhookMessage: a WeCom group-robot message waiting for the worker, retried like the outbox."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models.base import UTCDateTime, utcnow

NOTIFICATION_KINDS = (
    "lead_assigned",
    "reply_received",
    "referral_to_decide",
    "liaison_named",
    "approval_overdue",
    "mentioned",
)
WEBHOOK_STATUSES = ("queued", "sent", "parked")


class Notification(db.Model):
    # The bell counts a person's unread ones on every CRM page, the list shows theirs newest
    # first: one index each.
    __table_args__ = (
        Index("ix_notification_unread", "recipient_id", "read_at"),
        Index("ix_notification_list", "recipient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    # The record it is about: "lead", "referral", "project" or "leads" (a person's lead list).
    record_type: Mapped[str | None] = mapped_column(String(20))
    record_id: Mapped[int | None]
    # Values of the sentence, said in the reader's language when shown (never a rendered text).
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookMessage(db.Model):
    __table_args__ = (Index("ix_webhook_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    url: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("lead.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
