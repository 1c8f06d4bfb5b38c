"""ConsentRecord: what a person agreed to, on which notice, and when."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.lead import Contact, Inquiry

CONSENT_PURPOSES = ("processing", "sharing", "marketing")


class ConsentRecord(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("inquiry.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    form: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    notice_version: Mapped[str] = mapped_column(String(20))
    # sha256 of the exact consent texts and notice shown, so the wording can be proven later.
    notice_hash: Mapped[str] = mapped_column(String(64))
    processing: Mapped[bool] = mapped_column(default=False)
    sharing: Mapped[bool] = mapped_column(default=False)
    marketing: Mapped[bool] = mapped_column(default=False)

    contact: Mapped[Contact] = relationship()
    inquiry: Mapped[Inquiry | None] = relationship()
