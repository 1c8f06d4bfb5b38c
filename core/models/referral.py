"""Referral: a firm in the park bringing another firm to the bureau, and what became of it."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.enterprise import Enterprise, EnterpriseContact
from core.models.lead import Lead
from core.models.user import Team, User

# The bureau's decision on a referral; what the enterprise sees after acceptance follows the lead.
REFERRAL_DECISIONS = ("submitted", "accepted", "declined")
# Why a referral was declined; the enterprise reads the reason (and the bureau's message, if any).
DECLINE_REASONS = ("already_known", "already_referred", "not_a_fit", "unreachable", "other")


class Referral(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprise.id", ondelete="CASCADE"), index=True
    )
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise_contact.id", ondelete="SET NULL")
    )
    # When the enterprise referred the firm: the first referral in time earns the credit.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # One key per rendered portal form: sending the same form twice stores one referral.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # portal: sent by an enterprise contact; link: an inquiry through the enterprise's link.
    origin: Mapped[str] = mapped_column(String(8), default="portal")
    company_name: Mapped[str] = mapped_column(String(200))
    company_name_latin: Mapped[str | None] = mapped_column(String(200))
    company_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    country: Mapped[str] = mapped_column(String(2))
    industry: Mapped[str] = mapped_column(String(64))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_position: Mapped[str | None] = mapped_column(String(120))
    contact_language: Mapped[str] = mapped_column(String(5))
    plans: Mapped[str] = mapped_column(Text, default="")
    how_known: Mapped[str] = mapped_column(Text, default="")
    # PIPL's separate consent: the referrer confirmed the contact agreed to hear from the bureau,
    # in these words (sha256 of the text shown), at this time, in this language.
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_language: Mapped[str | None] = mapped_column(String(5))
    consent_hash: Mapped[str | None] = mapped_column(String(64))
    # For link referrals: whether the investor agreed that the enterprise may follow the inquiry.
    shared_with_referrer: Mapped[bool] = mapped_column(default=True)
    decision: Mapped[str] = mapped_column(String(10), default="submitted", index=True)
    decline_reason: Mapped[str | None] = mapped_column(String(20))
    decline_message: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("lead.id", ondelete="SET NULL"), index=True
    )
    # The desk the referral waits with (docs/ROLES.md): set by the assignment rules when it is
    # submitted, by a manager, or by the officer who decides it. None: the shared inbox.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    # The furthest status the enterprise has been told of (core/referrals.py STATUSES).
    progress: Mapped[str] = mapped_column(String(20), default="submitted")
    # The bureau may let the referrer see the lead's planned investment.
    share_amounts: Mapped[bool] = mapped_column(default=False)
    version_id: Mapped[int] = mapped_column(default=1)

    enterprise: Mapped[Enterprise] = relationship()
    submitted_by: Mapped[EnterpriseContact | None] = relationship()
    decided_by: Mapped[User | None] = relationship()
    lead: Mapped[Lead | None] = relationship()
    team: Mapped[Team | None] = relationship()
    updates: Mapped[list["ReferralUpdate"]] = relationship(
        back_populates="referral", cascade="all, delete-orphan", order_by="ReferralUpdate.id"
    )

    __mapper_args__ = {"version_id_col": version_id}


class ReferralUpdate(db.Model):
    """One step the enterprise sees on its referral (submitted, accepted, site visit…)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20))

    referral: Mapped[Referral] = relationship(back_populates="updates")
