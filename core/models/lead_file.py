"""LeadFile: a file kept with a lead, such as the photo of a business card taken at the booth."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.user import User

# mail_attachment: came with a received mail; sent_attachment: an officer attached it to a mail.
LEAD_FILE_KINDS = ("business_card", "mail_attachment", "sent_attachment")


class LeadFile(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="business_card")
    # The name on the sender's device, shown and offered on download; never used as a path.
    filename: Mapped[str] = mapped_column(String(200))
    # Decided from the file's first bytes, not from what the browser claimed.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    # The stored file's key (core/uploads.py): a path under UPLOAD_DIR, or a database key.
    path: Mapped[str] = mapped_column(String(300), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<LeadFile {self.id} {self.kind} of lead {self.lead_id}>"
