"""InboundMail: one mail fetched from the bureau's IMAP mailbox, threaded onto a lead or waiting in
triage; kept even when it cannot be parsed. MailboxState: how far each folder has been read."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.user import User

# threaded: on a lead; triage: waits for a person; auto_reply: an out-of-office (never a reply);
# bounce: a delivery failure report; failed: could not be parsed (raw bytes kept); own: a mail
# of ours come back (the bureau's copy of a notification), kept so it is not fetched again.
INBOUND_STATUSES = ("threaded", "triage", "auto_reply", "bounce", "failed", "own")
# How a threaded mail found its lead.
MATCHED_BY = ("token", "thread", "contact", "person")


class InboundMail(db.Model):
    __table_args__ = (
        UniqueConstraint("message_id", name="uq_inbound_mail_message_id"),
        Index("ix_inbound_mail_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The sender's Message-ID; for a mail without one (or unparseable), a digest of its bytes.
    # Unique: two fetchers inserting the same mail keep one row.
    message_id: Mapped[str] = mapped_column(String(500))
    # Where the fetcher found it (MailboxState remembers how far it has read).
    imap_folder: Mapped[str] = mapped_column(String(200))
    imap_uidvalidity: Mapped[int] = mapped_column(BigInteger)
    imap_uid: Mapped[int] = mapped_column(BigInteger)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    from_address: Mapped[str] = mapped_column(String(254), default="", index=True)
    from_name: Mapped[str] = mapped_column(String(200), default="")
    to_address: Mapped[str] = mapped_column(String(1000), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    in_reply_to: Mapped[str] = mapped_column(String(500), default="")
    references: Mapped[str] = mapped_column(Text, default="")
    # The plain-text part, or the HTML part turned into text: HTML is never rendered.
    body_text: Mapped[str] = mapped_column(Text, default="")
    from_html: Mapped[bool] = mapped_column(default=False)
    # Names of attachments not kept (a type or size we do not keep), shown with the mail.
    left_out: Mapped[str] = mapped_column(Text, default="")
    raw_size: Mapped[int] = mapped_column(default=0)
    # The mail's bytes when it could not be parsed, so a person can still read it.
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    parse_error: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="triage")
    matched_by: Mapped[str | None] = mapped_column(String(10))
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("lead.id", ondelete="SET NULL"), index=True
    )
    # The person who attached it from triage.
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    handled_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<InboundMail {self.id} {self.status} lead {self.lead_id}>"


class MailboxState(db.Model):
    """How far fetch-mail has read a folder: the highest UID handled under the folder's current
    UIDVALIDITY (a new validity starts again from 0; Message-IDs keep mail from being stored twice).
    Kept apart from the mails, so a duplicate that stored nothing still counts as read."""

    folder: Mapped[str] = mapped_column(String(200), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
