"""Enterprise: a firm already in the park, its portal contacts and their one-time sign-in links."""

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.plot import Plot

ZONES = ("north", "south")

enterprise_plot = Table(
    "enterprise_plot",
    db.metadata,
    Column("enterprise_id", ForeignKey("enterprise.id", ondelete="CASCADE"), primary_key=True),
    Column("plot_id", ForeignKey("plot.id", ondelete="CASCADE"), primary_key=True),
)


class Enterprise(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # The registered Chinese name, and the name in Latin letters European visitors read.
    name: Mapped[str] = mapped_column(String(200))
    name_latin: Mapped[str] = mapped_column(String(200), default="")
    # Both names normalised (core/matching.py): a referral of a firm already here is refused.
    name_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    latin_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    industry: Mapped[str] = mapped_column(String(64), index=True)
    zone: Mapped[str] = mapped_column(String(8), default="north")
    year_entered: Mapped[int]
    employees: Mapped[int | None]
    # Relocated farmers employed: the county reports these beside jobs created.
    local_hires: Mapped[int | None]
    # One sentence per language {"zh": ..., "en": ..., "de": ..., "fr": ...} for the public page.
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    # Shown on the public "Enterprises in the park" page only when the firm agreed.
    listed: Mapped[bool] = mapped_column(default=False)
    # The unguessable code of its referral link (?ref=...) to the public inquiry form.
    referral_code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    plots: Mapped[list[Plot]] = relationship(secondary=enterprise_plot, order_by=Plot.code)
    contacts: Mapped[list["EnterpriseContact"]] = relationship(
        back_populates="enterprise", order_by="EnterpriseContact.id"
    )

    __mapper_args__ = {"version_id_col": version_id}

    def display_name(self, lang: str) -> str:
        """The Chinese name on Chinese pages, the Latin one elsewhere (when there is one)."""
        if lang == "zh" or not self.name_latin:
            return self.name
        return self.name_latin

    def text(self, lang: str) -> str:
        values = self.summary or {}
        return values.get(lang) or values.get("en") or next(iter(values.values()), "")

    def __repr__(self) -> str:
        return f"<Enterprise {self.slug}>"


class EnterpriseContact(db.Model):
    """A person at an enterprise who signs in to the portal by an emailed link."""

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprise.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # Stored lower-case: one address is one person, whichever enterprise they are at.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[str | None] = mapped_column(String(120))
    # The portal's and the emails' language; the contact's own choice once they sign in.
    language: Mapped[str] = mapped_column(String(5), default="zh")
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on sign-out and deactivation: every older portal session dies.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enterprise: Mapped[Enterprise] = relationship(back_populates="contacts")

    def __repr__(self) -> str:
        return f"<EnterpriseContact {self.email}>"


class PortalLink(db.Model):
    """A single-use sign-in link: only its hash is kept, so a database copy opens nothing."""

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("enterprise_contact.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(10))  # invite | sign_in
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contact: Mapped[EnterpriseContact] = relationship()
