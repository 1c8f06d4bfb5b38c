"""LeadAlias: another name a lead's firm is known by (Chinese, Latin, a former name)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.lead import Lead

ALIAS_KINDS = ("chinese", "latin", "former")


class LeadAlias(db.Model):
    __table_args__ = (UniqueConstraint("lead_id", "name", name="uq_lead_alias_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The import that added it: undoing the import takes it away again.
    import_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_job.id", ondelete="SET NULL"), index=True
    )

    lead: Mapped[Lead] = relationship(
        backref=backref("aliases", cascade="all, delete-orphan", order_by="LeadAlias.id")
    )

    def __repr__(self) -> str:
        return f"<LeadAlias {self.name!r} ({self.kind}) of lead {self.lead_id}>"
