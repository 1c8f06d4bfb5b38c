"""Planning conditions of a plot in words and units the reader knows, and plots like another."""

from decimal import Decimal

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.extensions import db
from core.i18n import money, number
from core.models import Plot

# 万元: the unit Chinese land listings give investment intensity and tax per mu in.
WAN = Decimal(10000)
MU_PER_HA = 15

# Filter choices: the most an investor can commit per mu (plots asking at most that pass),
# and the height a building needs (plots allowing at least that pass).
INTENSITY_CHOICES = ("200", "300", "350", "400")
TAX_CHOICES = ("15", "20", "25", "30")
HEIGHT_CHOICES = ("24", "30", "50")

EXPLAIN = {
    "plot_ratio": _l(
        "Plot ratio (容积率): total floor area of the buildings divided by the plot's area."
    ),
    "building_density": _l(
        "Building density (建筑密度): the share of the plot covered by buildings, at least."
    ),
    "green_ratio": _l("Green ratio (绿地率): the share of the plot kept green, at most."),
    "height_limit": _l("Height limit: the highest a building on the plot may be."),
    "investment_intensity": _l(
        "Investment intensity (投资强度): fixed-asset investment per mu of land that the "
        "buyer commits to in the land contract, at least."
    ),
    "tax_per_mu": _l(
        "Tax per mu (亩均税收): taxes paid each year per mu of land once the plant "
        "produces, at least."
    ),
}


def _is_zh() -> bool:
    locale = get_locale()
    return bool(locale) and locale.language == "zh"


def _figure(value: Decimal) -> str:
    return number(value, 0 if value % 1 == 0 else (1 if (value * 10) % 1 == 0 else 2))


def per_mu(wan: Decimal) -> str:
    """An amount given in 万元 per mu: as is in Chinese, in yuan per mu and per hectare else."""
    yuan = Decimal(wan) * WAN
    if _is_zh():
        return gettext("%(amount)s per mu", amount=money(yuan))
    return gettext(
        "%(per_mu)s per mu (%(per_ha)s per hectare)",
        per_mu=money(yuan),
        per_ha=money(yuan * MU_PER_HA),
    )


def percent(value: Decimal) -> str:
    return gettext("%(value)s%%", value=_figure(Decimal(value)))


def metres(value: Decimal) -> str:
    return gettext("%(value)s m", value=_figure(Decimal(value)))


def conditions(plot: Plot) -> list[dict]:
    """The plot's planning conditions that are set: term, value and what the term means."""
    rows = []
    low, high = plot.plot_ratio_min, plot.plot_ratio_max
    if low is not None or high is not None:
        if low is not None and high is not None:
            value = gettext("%(low)s to %(high)s", low=_figure(low), high=_figure(high))
        elif low is not None:
            value = gettext("at least %(value)s", value=_figure(low))
        else:
            value = gettext("at most %(value)s", value=_figure(high))
        rows.append(("plot_ratio", gettext("Plot ratio"), value))
    if plot.building_density_min is not None:
        value = gettext("at least %(value)s", value=percent(plot.building_density_min))
        rows.append(("building_density", gettext("Building density"), value))
    if plot.green_ratio_max is not None:
        value = gettext("at most %(value)s", value=percent(plot.green_ratio_max))
        rows.append(("green_ratio", gettext("Green ratio"), value))
    if plot.height_limit_m is not None:
        rows.append(("height_limit", gettext("Height limit"), metres(plot.height_limit_m)))
    if plot.investment_intensity_min is not None:
        value = gettext("at least %(value)s", value=per_mu(plot.investment_intensity_min))
        rows.append(("investment_intensity", gettext("Investment intensity"), value))
    if plot.tax_per_mu_min is not None:
        value = gettext("at least %(value)s a year", value=per_mu(plot.tax_per_mu_min))
        rows.append(("tax_per_mu", gettext("Tax per mu"), value))
    return [
        {"key": key, "term": term, "value": value, "explain": str(EXPLAIN[key])}
        for key, term, value in rows
    ]


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The land page's planning filters as (value, label) in the page's language."""
    return {
        "intensity": [
            (v, gettext("I can invest %(amount)s", amount=per_mu(Decimal(v))))
            for v in INTENSITY_CHOICES
        ],
        "tax": [
            (v, gettext("We expect to pay %(amount)s a year", amount=per_mu(Decimal(v))))
            for v in TAX_CHOICES
        ],
        "height": [
            (v, gettext("At least %(height)s", height=metres(Decimal(v)))) for v in HEIGHT_CHOICES
        ],
    }


def similar_available(plot: Plot, limit: int = 3) -> list[Plot]:
    """Available plots most like this one: same land use first, then the nearest in area."""
    candidates = db.session.scalars(
        select(Plot)
        .where(Plot.status == "available", Plot.id != plot.id)
        .order_by(
            (Plot.land_use != plot.land_use),
            func.abs(Plot.area_m2 - plot.area_m2),
            Plot.code,
        )
        .limit(limit)
    ).all()
    return list(candidates)
