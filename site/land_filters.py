"""Land inventory filters: reading the GET parameters safely and turning them into SQL."""

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from babel.numbers import NumberFormatError, format_decimal, parse_decimal
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select

from core.i18n import area, number
from core.models import PLOT_STATUSES, Plot, PlotUtility
from core.units import M2_PER_MU
from public_site.plot_planning import HEIGHT_CHOICES, INTENSITY_CHOICES, TAX_CHOICES

M2_PER_HA = Decimal(10000)
M2_PER_UNIT = {"mu": M2_PER_MU, "ha": M2_PER_HA}
# More than twice the whole park (9.5 km²): a bound above this is a typo, not a wish.
MAX_AREA_M2 = Decimal(20_000_000)
# Longest raw value we look at or echo back; longer input is garbage or an attack.
MAX_INPUT = 24
# Readiness choice -> months from today by which every utility must be ready (0: ready now).
READINESS = {"now": 0, "6m": 6, "12m": 12}
SORTS = ("code", "area_asc", "area_desc", "price_asc", "price_desc", "ready")
# Sorts a plot whose utilities have no date yet after every dated one.
FAR_FUTURE = date(9999, 12, 31)

# What we tell the visitor when we ignore a parameter; %(value)s is what they sent.
CHOICE_NOTES = {
    "zone": _l("There is no zone “%(value)s”, so all zones are shown."),
    "land_use": _l("There is no land use “%(value)s”, so all land uses are shown."),
    "ready": _l(
        "“%(value)s” is not a readiness choice, so plots are shown whatever their readiness."
    ),
    "status": _l("“%(value)s” is not a status, so plots of every status are shown."),
    "sort": _l("“%(value)s” is not a sort order, so plots are sorted by code."),
    "intensity": _l(
        "“%(value)s” is not one of the investment amounts, so plots are shown whatever "
        "investment they ask for."
    ),
    "tax": _l(
        "“%(value)s” is not one of the tax amounts, so plots are shown whatever tax they ask for."
    ),
    "height": _l(
        "“%(value)s” is not one of the heights, so plots of every height limit are shown."
    ),
}
AREA_NOTES = {
    ("min", "nan"): _l(
        "The minimum area “%(value)s” is not a number, so it was ignored. "
        "Enter a number such as %(example)s."
    ),
    ("max", "nan"): _l(
        "The maximum area “%(value)s” is not a number, so it was ignored. "
        "Enter a number such as %(example)s."
    ),
    ("min", "huge"): _l("The minimum area is larger than the whole park, so it was ignored."),
    ("max", "huge"): _l("The maximum area is larger than the whole park, so it was ignored."),
}


def page_unit(lang: str) -> str:
    """Chinese investors think in mu, European ones in hectares."""
    return "mu" if lang == "zh" else "ha"


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def ready_by(day: date | None):
    """SQL: no utility of the plot is still missing on `day` (None: every utility is ready now)."""
    missing = PlotUtility.state != "ready"
    if day is not None:
        missing = and_(missing, or_(PlotUtility.ready_on.is_(None), PlotUtility.ready_on > day))
    return ~exists().where(PlotUtility.plot_id == Plot.id, missing)


def ready_date():
    """SQL: the day the plot's last utility is ready, as Plot.ready_on computes it in Python."""
    return (
        select(func.max(func.coalesce(PlotUtility.ready_on, FAR_FUTURE)))
        .where(PlotUtility.plot_id == Plot.id)
        .correlate(Plot)
        .scalar_subquery()
    )


def parse_quantity(raw: str) -> Decimal:
    """A non-negative number as the visitor typed it, in their locale or with either separator."""
    text = re.sub(r"[\s\u00a0\u202f']", "", raw)
    if not re.fullmatch(r"[0-9][0-9.,]*", text):
        raise ValueError(raw)
    try:
        return parse_decimal(text, locale=get_locale(), strict=True)
    except NumberFormatError:
        # "1.5" on a German page or "1,5" on an English one: one separator is a decimal point.
        if re.fullmatch(r"[0-9]+(?:[.,][0-9]+)?", text):
            return Decimal(text.replace(",", "."))
        raise ValueError(raw) from None


def _show(value: Decimal) -> str:
    """A bound in the page's unit, as the visitor would type it back."""
    return format_decimal(value, format="#,##0.####", locale=get_locale())


@dataclass
class LandFilter:
    """What the visitor asked for, corrected where needed, with a note per corrected field."""

    unit: str
    zone: str = ""
    land_use: str = ""
    ready: str = ""
    status: str = ""
    sort: str = "code"
    # Planning conditions: the most the investor commits per mu (万元), the height they need (m).
    intensity: str = ""
    tax: str = ""
    height: str = ""
    min_m2: Decimal | None = None
    max_m2: Decimal | None = None
    area_text: dict[str, str] = field(default_factory=lambda: {"min": "", "max": ""})
    notes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        chosen = (
            self.zone,
            self.land_use,
            self.ready,
            self.status,
            self.intensity,
            self.tax,
            self.height,
        )
        return any(chosen) or self.min_m2 is not None or self.max_m2 is not None

    def note(self, name: str, message: str) -> None:
        self.notes.setdefault(name, []).append(message)

    def conditions(self, today: date) -> list:
        conditions = []
        if self.zone:
            conditions.append(Plot.zone == self.zone)
        if self.land_use:
            conditions.append(Plot.land_use == self.land_use)
        if self.status:
            conditions.append(Plot.status == self.status)
        if self.min_m2 is not None:
            conditions.append(Plot.area_m2 >= self.min_m2)
        if self.max_m2 is not None:
            conditions.append(Plot.area_m2 <= self.max_m2)
        # A plot without the figure sets no such condition, so it matches.
        if self.intensity:
            limit = Plot.investment_intensity_min
            conditions.append(or_(limit.is_(None), limit <= Decimal(self.intensity)))
        if self.tax:
            limit = Plot.tax_per_mu_min
            conditions.append(or_(limit.is_(None), limit <= Decimal(self.tax)))
        if self.height:
            limit = Plot.height_limit_m
            conditions.append(or_(limit.is_(None), limit >= Decimal(self.height)))
        if self.ready:
            months = READINESS[self.ready]
            conditions.append(ready_by(add_months(today, months) if months else None))
        return conditions

    def order_by(self) -> list:
        by_date = ready_date()
        return {
            "code": [Plot.code],
            "area_asc": [Plot.area_m2, Plot.code],
            "area_desc": [Plot.area_m2.desc(), Plot.code],
            "price_asc": [Plot.price_per_mu, Plot.code],
            "price_desc": [Plot.price_per_mu.desc(), Plot.code],
            "ready": [by_date.is_(None), by_date, Plot.code],
        }[self.sort]


def _clip(raw: str) -> str:
    return raw if len(raw) <= MAX_INPUT else raw[:MAX_INPUT] + "…"


def _choice(args, name: str, allowed, result: LandFilter) -> str:
    raw = args.get(name, "").strip()
    if not raw or raw in allowed:
        return raw
    result.note(name, str(CHOICE_NOTES[name]) % {"value": _clip(raw)})
    return ""


def _bound(args, which: str, result: LandFilter) -> Decimal | None:
    """One area bound in m², from the page's unit or, after a language switch, the other one."""
    other = "ha" if result.unit == "mu" else "mu"
    for unit in (result.unit, other):
        raw = args.get(f"{which}_{unit}", "").strip()
        if raw:
            break
    else:
        return None
    if unit == result.unit:
        result.area_text[which] = _clip(raw)
    try:
        if len(raw) > MAX_INPUT:
            raise ValueError(raw)
        exact = parse_quantity(raw) * M2_PER_UNIT[unit]
    except ValueError:
        note = str(AREA_NOTES[which, "nan"])
        result.note("area", note % {"value": _clip(raw), "example": number(Decimal("1.5"), 1)})
        return None
    if exact > MAX_AREA_M2:
        result.note("area", str(AREA_NOTES[which, "huge"]))
        result.area_text[which] = ""
        return None
    # Round outwards to the stored precision so a plot of exactly the bound stays in.
    rounding = ROUND_FLOOR if which == "min" else ROUND_CEILING
    if unit != result.unit:
        shown = (exact / M2_PER_UNIT[result.unit]).quantize(Decimal("0.0001"), rounding=rounding)
        result.area_text[which] = _show(shown)
    return exact.quantize(Decimal("0.01"), rounding=rounding)


def as_args(result: LandFilter) -> dict[str, str]:
    """The corrected filter as GET parameters: what an inquiry carries, the link back to it."""
    args = {
        name: getattr(result, name)
        for name in ("zone", "land_use", "ready", "status", "intensity", "tax", "height")
        if getattr(result, name)
    }
    for which in ("min", "max"):
        if result.area_text[which] and getattr(result, f"{which}_m2") is not None:
            args[f"{which}_{result.unit}"] = result.area_text[which]
    return args


def parse_filters(args, lang: str, zones, land_uses) -> LandFilter:
    """Read the land page's GET parameters; never fails, whatever the visitor or a bot sends."""
    result = LandFilter(unit=page_unit(lang))
    result.zone = _choice(args, "zone", zones, result)
    result.land_use = _choice(args, "land_use", land_uses, result)
    result.ready = _choice(args, "ready", READINESS, result)
    result.status = _choice(args, "status", PLOT_STATUSES, result)
    result.sort = _choice(args, "sort", SORTS, result) or "code"
    result.intensity = _choice(args, "intensity", INTENSITY_CHOICES, result)
    result.tax = _choice(args, "tax", TAX_CHOICES, result)
    result.height = _choice(args, "height", HEIGHT_CHOICES, result)
    result.min_m2 = _bound(args, "min", result)
    result.max_m2 = _bound(args, "max", result)
    if result.min_m2 is not None and result.max_m2 is not None and result.min_m2 > result.max_m2:
        result.min_m2, result.max_m2 = result.max_m2, result.min_m2
        text = result.area_text
        text["min"], text["max"] = text["max"], text["min"]
        result.note(
            "area",
            gettext(
                "The minimum area was larger than the maximum, so we swapped them: "
                "from %(low)s to %(high)s.",
                low=area(result.min_m2),
                high=area(result.max_m2),
            ),
        )
    return result
