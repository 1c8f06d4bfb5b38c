"""Project: a signed lead carried to production, its plots, and each stage with its proof."""

import secrets
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Date, ForeignKey, Numeric, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.lead import Lead
from core.models.plot import Plot
from core.models.user import User

PROJECT_STAGES = ("signed", "construction", "production")


def new_status_token() -> str:
    return secrets.token_urlsafe(18)


# A stage counts only with its proof: an uploaded document, or a reference to one on paper.
EVIDENCE_KINDS = ("document", "reference")

project_plot = Table(
    "project_plot",
    db.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    # A plot is allocated to one project at a time.
    Column("plot_id", ForeignKey("plot.id", ondelete="CASCADE"), primary_key=True, unique=True),
)


class Project(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)
    stage: Mapped[str] = mapped_column(String(16), default="signed", index=True)
    zone: Mapped[str | None] = mapped_column(String(16), index=True)
    # CNY: the investment agreed at signing, and the registered capital arrived to date.
    investment: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), index=True)
    capital_arrived: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=Decimal(0))
    jobs_planned: Mapped[int | None]
    signed_on: Mapped[date] = mapped_column(Date, index=True)
    # Agreed at signing: construction must start by the first, production by the second.
    construction_deadline: Mapped[date | None] = mapped_column(Date, index=True)
    production_deadline: Mapped[date | None] = mapped_column(Date)
    # The incentive policy version the project was signed under (content/policies).
    policy_version: Mapped[str] = mapped_column(String(20), default="")
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # The park's agent who carries the project's approvals (全程代办).
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # A deadline missed: the incentives it carried wait for a manager's review.
    incentive_review: Mapped[bool] = mapped_column(default=False)
    # The unguessable part of the investor's read-only status page address.
    status_token: Mapped[str] = mapped_column(String(32), unique=True, default=new_status_token)

    lead: Mapped[Lead] = relationship()
    liaison: Mapped[User | None] = relationship(foreign_keys=[liaison_id])
    agent: Mapped[User | None] = relationship(foreign_keys=[agent_id])
    plots: Mapped[list[Plot]] = relationship(secondary=project_plot, order_by=Plot.code)
    milestones: Mapped[list["ProjectMilestone"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectMilestone.id"
    )

    __mapper_args__ = {"version_id_col": version_id}

    def milestone(self, stage: str) -> "ProjectMilestone | None":
        return next((m for m in self.milestones if m.stage == stage), None)

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.stage}>"


class ProjectMilestone(db.Model):
    """The day a project reached a stage, and the proof of it."""

    __table_args__ = (UniqueConstraint("project_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(16), index=True)
    reached_on: Mapped[date] = mapped_column(Date, index=True)
    evidence_kind: Mapped[str | None] = mapped_column(String(10))
    # A reference to a paper document (agreement number, permit number…), or the uploaded file's
    # name as sent; path is the stored file's key (core/uploads.py).
    reference: Mapped[str] = mapped_column(String(300), default="")
    content_type: Mapped[str | None] = mapped_column(String(60))
    size: Mapped[int | None]
    path: Mapped[str | None] = mapped_column(String(300), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="milestones")
    recorded_by: Mapped[User | None] = relationship()

    @property
    def proven(self) -> bool:
        return bool(self.evidence_kind and (self.reference or self.path))


class DeadlineExtension(db.Model):
    """A deadline moved by decision: who approved it, why, and what it was before."""

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    deadline: Mapped[str] = mapped_column(String(16))  # construction | production
    old_date: Mapped[date | None] = mapped_column(Date)
    new_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(2000))
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    approved_by: Mapped[User] = relationship()
