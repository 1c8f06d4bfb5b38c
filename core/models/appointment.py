"""Appointment: a site visit or meeting with an investor, scheduled, moved, cancelled, held."""

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.lead import Contact, Lead
from core.models.user import User

APPOINTMENT_KINDS = ("site_visit", "meeting")
# scheduled → held (its outcome logged) or cancelled; a cancelled one stays, for the record.
APPOINTMENT_STATUSES = ("scheduled", "held", "cancelled")


class Appointment(db.Model):
    __table_args__ = (Index("ix_appointment_starts", "status", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(default=90)
    # The investor's time zone (IANA name): the page shows their clock beside Beijing's.
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    place: Mapped[str] = mapped_column(String(300), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    outcome: Mapped[str] = mapped_column(Text, default="")
    # iCalendar: one UID for the invitation, its updates and its cancellation; SEQUENCE grows.
    uid: Mapped[str] = mapped_column(String(120), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    lead: Mapped[Lead] = relationship()
    organiser: Mapped[User | None] = relationship()
    attendees: Mapped[list["Attendee"]] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", order_by="Attendee.id"
    )

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)


class Attendee(db.Model):
    """One person invited: a member of staff or one of the investor's contacts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))

    appointment: Mapped[Appointment] = relationship(back_populates="attendees")
    user: Mapped[User | None] = relationship()
    contact: Mapped[Contact | None] = relationship()

    @property
    def name(self) -> str:
        return self.user.name if self.user else (self.contact.name if self.contact else "")

    @property
    def email(self) -> str | None:
        return self.user.email if self.user else (self.contact.email if self.contact else None)

    @property
    def language(self) -> str:
        return (
            self.user.language if self.user else (self.contact.language if self.contact else "en")
        )
