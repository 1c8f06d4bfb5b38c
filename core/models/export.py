"""Export: one download of leads by a member of staff, and which leads it held."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.user import User

# Which leads an export held: each lead's timeline shows the exports that included it.
export_lead = Table(
    "export_lead",
    db.metadata,
    Column("export_id", ForeignKey("export.id", ondelete="CASCADE"), primary_key=True),
    Column("lead_id", ForeignKey("lead.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_export_lead_lead_id", "lead_id"),
)


class Export(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    format: Mapped[str] = mapped_column(String(8))  # csv | xlsx
    # The list's filter as a URL query, so the export can be understood later.
    query: Mapped[str] = mapped_column(Text, default="")
    row_count: Mapped[int] = mapped_column(default=0)

    user: Mapped[User | None] = relationship()
