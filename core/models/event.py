"""Event: a trade fair or presentation where the bureau meets investors, and who staffs it."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, Date, ForeignKey, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.user import User

event_staff = Table(
    "event_staff",
    db.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Event(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # In the public URL and the CLI (`import-leads --event SLUG`); never changes once published.
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # Translated fields: {"zh": ..., "en": ..., "de": ..., "fr": ...}.
    name: Mapped[dict] = mapped_column(JSON, default=dict)
    city: Mapped[dict] = mapped_column(JSON, default=dict)
    venue: Mapped[dict] = mapped_column(JSON, default=dict)
    booth: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    target_industries: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Shown on the public site (news, home, its landing page) when true.
    published: Mapped[bool] = mapped_column(default=True)
    # What the bureau spent on it, for cost per signed project in the event results.
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # Leads captured or imported for this event go to this officer; else to who captured them.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    staff: Mapped[list[User]] = relationship(secondary=event_staff, order_by=User.name)
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])

    __mapper_args__ = {"version_id_col": version_id}

    def text(self, field: str, lang: str) -> str:
        """A translated field in lang, else English, else any language present."""
        values = getattr(self, field) or {}
        return values.get(lang) or values.get("en") or next(iter(values.values()), "")

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"
