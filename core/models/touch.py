"""Touches: a lead met again (a fair's import merged into it) without moving its first source,
and firm pairs staff said are different firms, so the pair is not proposed again."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.event import Event


class LeadTouch(db.Model):
    """The lead was met again at an event (or through an import): attribution stays the lead's
    first source and event; the touch counts for the event's results and shows on the timeline."""

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    # The import that recorded it: undo removes exactly its touches.
    import_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_job.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    event: Mapped[Event | None] = relationship()


class FirmPair(db.Model):
    """Two company keys (core.matching.normalise_company) a person said are different firms;
    stored in order (key_a < key_b) so either way round is one pair."""

    __table_args__ = (UniqueConstraint("key_a", "key_b"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_a: Mapped[str] = mapped_column(String(200))
    key_b: Mapped[str] = mapped_column(String(200))
    lead_a_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id", ondelete="SET NULL"))
    lead_b_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
