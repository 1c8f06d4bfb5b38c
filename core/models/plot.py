"""Plot: a parcel of serviced land in the inventory, with its utilities."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow
from core.units import m2_to_mu

PLOT_STATUSES = ("available", "reserved", "allocated")
UTILITIES = ("road", "water", "sewage", "power", "gas", "telecom")
UTILITY_STATES = ("ready", "under_construction", "planned")


class Plot(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    zone: Mapped[str] = mapped_column(String(16), index=True)
    area_m2: Mapped[Decimal] = mapped_column(Numeric(12, 2), index=True)
    land_use: Mapped[str] = mapped_column(String(32), index=True)
    price_per_mu: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(16), index=True, default="available")
    outline: Mapped[str] = mapped_column(Text)
    # A plot held for a lead until a day; after it the plot is available again.
    reserved_for_id: Mapped[int | None] = mapped_column(
        ForeignKey("lead.id", ondelete="SET NULL"), index=True
    )
    reserved_until: Mapped[date | None]
    notes: Mapped[dict] = mapped_column(JSON, default=dict)
    # Planning conditions as Chinese land listings give them (None: not set for this plot).
    # Plot ratio (容积率) bounds; building density (建筑密度) minimum and green ratio (绿地率)
    # maximum in per cent; height limit in metres; investment intensity (投资强度) and yearly
    # tax per mu (亩均税收) the buyer commits to, in 万元 (CNY 10,000) per mu.
    plot_ratio_min: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    plot_ratio_max: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    building_density_min: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    green_ratio_max: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    height_limit_m: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    investment_intensity_min: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), index=True)
    tax_per_mu_min: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    utilities: Mapped[list["PlotUtility"]] = relationship(
        back_populates="plot", cascade="all, delete-orphan", order_by="PlotUtility.position"
    )

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def area_mu(self) -> Decimal:
        return m2_to_mu(self.area_m2)

    @property
    def ready_on(self) -> date | None:
        """The day the last utility is (or was) ready; None if one has no date."""
        dates = [u.ready_on for u in self.utilities]
        return None if not dates or None in dates else max(dates)

    @property
    def fully_serviced(self) -> bool:
        return all(u.state == "ready" for u in self.utilities)

    def __repr__(self) -> str:
        return f"<Plot {self.code}>"


class PlotUtility(db.Model):
    __table_args__ = (UniqueConstraint("plot_id", "utility"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plot_id: Mapped[int] = mapped_column(ForeignKey("plot.id", ondelete="CASCADE"), index=True)
    utility: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(24))
    ready_on: Mapped[date | None]
    capacity: Mapped[str | None] = mapped_column(String(64))

    plot: Mapped[Plot] = relationship(back_populates="utilities")
