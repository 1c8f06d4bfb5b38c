"""The pipeline's records: stage changes, admin-managed lists, saved filters, settings."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.user import User

LIST_KINDS = ("industry", "lost_reason")


class StageChange(db.Model):
    """One move of a lead between stages; the source of conversion and time-in-stage reports."""

    # Time in stage reads the stays of a period's changes from the index alone.
    __table_args__ = (
        Index("ix_stage_change_at", "at", postgresql_include=["lead_id", "to_stage", "ended_at"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the lead's next change came, ending the stay this one began (kept by core/leads.py).
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    lost_reason_id: Mapped[int | None] = mapped_column(ForeignKey("list_item.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship()
    lost_reason: Mapped["ListItem | None"] = relationship()


class ListItem(db.Model):
    """An entry of a list the admin keeps (industries, lost reasons), labelled per language."""

    __table_args__ = (UniqueConstraint("kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    code: Mapped[str] = mapped_column(String(64))
    labels: Mapped[dict] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.code


class SavedFilter(db.Model):
    """A lead-list query a user named and keeps."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Setting(db.Model):
    """A value the admin may change (response deadline, liaison threshold, retention...)."""

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AssignmentRule(db.Model):
    """How new leads find an owner: round-robin in a team, or by language or industry."""

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))  # round_robin | language | industry
    match: Mapped[str | None] = mapped_column(String(64))  # the language or industry code
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    last_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    active: Mapped[bool] = mapped_column(default=True)


class DuplicateCandidate(db.Model):
    """A possible duplicate found when a lead was created, until merged or dismissed."""

    __table_args__ = (UniqueConstraint("lead_id", "other_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    reasons: Mapped[list] = mapped_column(JSON, default=list)  # email | phone | company
    score: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(16))  # merged | dismissed
