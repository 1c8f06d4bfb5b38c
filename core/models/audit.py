"""AuditEntry: who changed which record, when, and from what to what."""

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models.base import UTCDateTime, utcnow


class AuditEntry(db.Model):
    __table_args__ = (Index("ix_audit_entry_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # "public" for visitors, "system" for CLI jobs, "user:<id>" for staff.
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(20))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
