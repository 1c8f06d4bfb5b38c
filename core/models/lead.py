"""Lead: a prospective investor's company, its contacts and their inquiries."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    DDL,
    JSON,
    Column,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    event,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.models.event import Event
from core.models.pipeline import ListItem
from core.models.plot import Plot
from core.models.user import Team, User

LEAD_SOURCES = ("website", "event", "referral", "import", "manual")
LEAD_RATINGS = ("hot", "warm", "cold")
LEAD_STAGES = ("new", "contacted", "qualified", "site_visit", "negotiation", "signed", "lost")
# The stages a lead moves forward through, in order (Lost is where it leaves them, not a step).
FORWARD_STAGES = LEAD_STAGES[:-1]
FORWARD_RANK = {stage: rank for rank, stage in enumerate(FORWARD_STAGES)}

# What the dashboard reads of the leads created in a period (PostgreSQL keeps it in the index).
COHORT_COLUMNS = [
    "id", "merged_into_id", "furthest_stage", "source", "event_id", "country",
    "referrer_enterprise_id",
]  # fmt: skip

lead_plot = Table(
    "lead_plot",
    db.metadata,
    Column("lead_id", ForeignKey("lead.id", ondelete="CASCADE"), primary_key=True),
    Column("plot_id", ForeignKey("plot.id", ondelete="CASCADE"), primary_key=True),
)


class Lead(db.Model):
    # Covers the lead list's totals (count and summed estimate per stage) without reading rows.
    __table_args__ = (
        Index("ix_lead_totals", "stage", "merged_into_id", "planned_investment", "investment_min"),
        # The board and the default list read the newest leads of one stage.
        Index("ix_lead_stage_created", "stage", "created_at"),
        # The dashboard counts the leads created in a period by furthest stage, source, event,
        # country and referrer: from the index alone.
        Index("ix_lead_created_at", "created_at", postgresql_include=COHORT_COLUMNS),
        # Search (core/search.py) asks for %term% in search_text: on PostgreSQL a trigram index
        # finds it without reading every lead. SQLite has none and scans, which serves
        # development; there the index is partial over no rows, so it costs nothing.
        Index(
            "ix_lead_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=text("0"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)
    stage: Mapped[str] = mapped_column(String(20), default="new", index=True)
    source: Mapped[str] = mapped_column(String(20), index=True)
    company_name: Mapped[str] = mapped_column(String(200), index=True)
    company_name_latin: Mapped[str | None] = mapped_column(String(200))
    # Shown instead of the company to roles and exports that do not need to know who it is.
    code_name: Mapped[str | None] = mapped_column(String(60), unique=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    industry: Mapped[str] = mapped_column(String(64), index=True)
    investment_min: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), index=True)
    investment_max: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    investment_currency: Mapped[str] = mapped_column(String(3), default="CNY")
    land_need_min_mu: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    land_need_max_mu: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    language: Mapped[str] = mapped_column(String(5), index=True)
    planned_investment: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    lost_reason_id: Mapped[int | None] = mapped_column(ForeignKey("list_item.id"))
    lost_note: Mapped[str] = mapped_column(Text, default="")
    stage_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The furthest of FORWARD_STAGES the lead ever reached, kept by core/leads.py from its stage
    # changes: funnels count it instead of reading every lead's history.
    furthest_stage: Mapped[str] = mapped_column(String(20), default="new", server_default="new")
    # The first-response clock: due when created, stopped by the first contact made.
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # What the lead is found by, written by core/search.py: names, aliases, pinyin, contacts.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The company name normalised for matching (pinyin, no legal form): see core/matching.py.
    company_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"), index=True)
    # Attribution to a trade fair or presentation (captured there, imported for it, or its form).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    # Booth capture: how warm the contact was, free tags, and when and by whom it was taken.
    rating: Mapped[str | None] = mapped_column(String(8))
    tags: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    captured_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The device's id for a captured entry: sending it twice finds the first lead.
    capture_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The enterprise in the park credited with bringing the firm, and since when (its referral's
    # time): the first referral in time wins, and the credit follows the lead (core/referrals.py).
    referrer_enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise.id", ondelete="SET NULL"), index=True
    )
    referred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    legal_hold: Mapped[bool] = mapped_column(default=False)
    # Set by a manager: only managers, the owner and the liaison leader see the company's name.
    confidential: Mapped[bool] = mapped_column(default=False, server_default=false())

    owner: Mapped["User | None"] = relationship(foreign_keys=[owner_id])
    team: Mapped["Team | None"] = relationship()
    liaison: Mapped["User | None"] = relationship(foreign_keys=[liaison_id])
    lost_reason: Mapped["ListItem | None"] = relationship()
    event: Mapped[Event | None] = relationship()
    captured_by: Mapped["User | None"] = relationship(foreign_keys=[captured_by_id])
    referrer: Mapped["Enterprise | None"] = relationship()  # noqa: F821  (core/models/enterprise.py)

    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="lead", cascade="all, delete-orphan", order_by="Contact.id"
    )
    inquiries: Mapped[list["Inquiry"]] = relationship(
        back_populates="lead", cascade="all, delete-orphan", order_by="Inquiry.id"
    )
    plots: Mapped[list[Plot]] = relationship(secondary=lead_plot, order_by=Plot.code)

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def investment_estimate(self) -> Decimal | None:
        """The figure totals add up: the planned amount if known, else the band's lower bound."""
        if self.planned_investment is not None:
            return self.planned_investment
        return self.investment_min

    @property
    def primary_contact(self) -> "Contact | None":
        return self.contacts[0] if self.contacts else None

    def __repr__(self) -> str:
        return f"<Lead {self.id} {self.company_name!r}>"


# The trigram index needs its extension, also where tables come from the models (tests, benches).
event.listen(
    Lead.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)


class Contact(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    name: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40), index=True)
    # Staff in China reach investors by mobile and WeChat as often as by mail.
    mobile: Mapped[str | None] = mapped_column(String(40))
    wechat_id: Mapped[str | None] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(5))
    position: Mapped[str | None] = mapped_column(String(120))
    # A delivery failure report came back for this address (core/mail_in): mail to it bounces.
    email_bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lead: Mapped[Lead] = relationship(back_populates="contacts")


class Inquiry(db.Model):
    """One submission of a public form, exactly as the visitor sent it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # One key per rendered form: a second submission of the same form finds the first.
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    form: Mapped[str] = mapped_column(String(20), default="website")
    language: Mapped[str] = mapped_column(String(5))
    page: Mapped[str | None] = mapped_column(String(500))
    plot_id: Mapped[int | None] = mapped_column(ForeignKey("plot.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")
    utm: Mapped[dict] = mapped_column(JSON, default=dict)
    referral_code: Mapped[str | None] = mapped_column(String(64), index=True)
    # The incentive estimate the visitor made before enquiring (core/incentives.py), as shown.
    estimate: Mapped[dict | None] = mapped_column(JSON)
    # What the visitor asked beyond the message: the land filter that found nothing
    # ({"land_filter": {...}}), preferred meeting days and times at a fair ({"meeting": {...}}).
    wishes: Mapped[dict | None] = mapped_column(JSON)

    lead: Mapped[Lead] = relationship(back_populates="inquiries")
    contact: Mapped["Contact | None"] = relationship()
    plot: Mapped[Plot | None] = relationship()
