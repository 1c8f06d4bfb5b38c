"""Shared vocabularies of the forms, public and staff: countries, industries, money and land-need
bands, languages."""

from decimal import Decimal

from babel import Locale
from flask_babel import gettext
from wtforms.fields.choices import SelectChoice

from core.content import get_content
from core.countries import EU_MEMBERS, country_names
from core.i18n import LANGUAGES, current_language, land_band_area, money_compact, translated

OTHER_INDUSTRY = "other"
Band = tuple[Decimal, Decimal | None]


def country_choices() -> list[SelectChoice]:
    """China and the EU first (most of our investors), then every other country."""
    names = country_names(current_language())
    first = ["CN"] + [c for c in names if c in EU_MEMBERS]
    group_first = gettext("China and the European Union")
    group_rest = gettext("All other countries and regions")
    return [
        SelectChoice("", gettext("Choose a country or region")),
        *(SelectChoice(c, names[c], optgroup=group_first) for c in first),
        *(SelectChoice(c, n, optgroup=group_rest) for c, n in names.items() if c not in first),
    ]


def industry_name(code: str) -> str:
    if code == OTHER_INDUSTRY:
        return gettext("Other industry")
    for item in get_content().site["industries"]:
        if item["code"] == code:
            return translated(item["name"])
    return code


def industry_choices() -> list[SelectChoice]:
    codes = [i["code"] for i in get_content().site["industries"]] + [OTHER_INDUSTRY]
    return [SelectChoice("", gettext("Choose an industry"))] + [
        SelectChoice(code, industry_name(code)) for code in codes
    ]


def _bands(bounds: list) -> list[tuple[str, Band]]:
    """Lower bounds [0, 20, 50] -> ("0-20", (0, 20)), ("20-50", …), ("50-", (50, None))."""
    values = [Decimal(str(b)) for b in bounds]
    bands = []
    for low, high in zip(values, [*values[1:], None], strict=True):
        bands.append((f"{low:f}-{'' if high is None else f'{high:f}'}", (low, high)))
    return bands


def _band_label(band: Band, fmt) -> str:
    low, high = band
    if high is None:
        return gettext("%(amount)s or more", amount=fmt(low))
    if low == 0:
        return gettext("Up to %(amount)s", amount=fmt(high))
    return gettext("%(low)s – %(high)s", low=fmt(low), high=fmt(high))


def investment_bands() -> list[tuple[str, Band]]:
    return _bands(get_content().site["inquiry"]["investment_bands"])


def land_need_bands() -> list[tuple[str, Band]]:
    return _bands(get_content().site["inquiry"]["land_need_bands_mu"])


def investment_label(band: Band) -> str:
    return _band_label(band, money_compact)


def land_need_label(band: Band) -> str:
    return _band_label(band, land_band_area)


def _band_choices(bands, label) -> list[SelectChoice]:
    return [SelectChoice("", gettext("Not decided yet"))] + [
        SelectChoice(value, label(band)) for value, band in bands
    ]


def investment_choices() -> list[SelectChoice]:
    return _band_choices(investment_bands(), investment_label)


def land_need_choices() -> list[SelectChoice]:
    return _band_choices(land_need_bands(), land_need_label)


def band_for(value: str, bands: list[tuple[str, Band]]) -> Band | None:
    return dict(bands).get(value)


def language_name(code: str, lang: str | None = None) -> str:
    """A language's name in the reader's language (German, Deutsch, 德语)."""
    return Locale.parse(code).get_language_name(lang or current_language())


def language_choices() -> list[SelectChoice]:
    """Each language named in itself, marked with its lang attribute for screen readers."""
    return [
        SelectChoice(code, info["name"], render_kw={"lang": info["tag"]})
        for code, info in LANGUAGES.items()
    ]
