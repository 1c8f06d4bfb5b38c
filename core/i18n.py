"""Language and timezone selection; numbers, money, area, dates and phones the reader's way."""

import re
from decimal import Decimal
from functools import lru_cache

import phonenumbers
from babel import Locale
from babel.dates import DateTimePattern, get_datetime_format, parse_pattern
from babel.numbers import format_compact_currency, format_currency, format_decimal
from babel.units import format_unit
from flask import current_app, g, request
from flask_babel import format_date, format_datetime, get_locale, gettext, to_user_timezone

from core.matching.scoring import reason_text
from core.units import m2_to_ha, m2_to_mu, mu_to_m2

# code -> BCP-47 tag and the language's name in itself (for the switcher).
LANGUAGES = {
    "zh": {"tag": "zh-Hans", "name": "中文"},
    "en": {"tag": "en", "name": "English"},
    "de": {"tag": "de", "name": "Deutsch"},
    "fr": {"tag": "fr", "name": "Français"},
}
PUBLIC_LANGUAGES = tuple(LANGUAGES)
STAFF_LANGUAGES = ("zh", "en")
# Content missing in a language is shown in this one, with a notice.
FALLBACK = {"de": "en", "fr": "en", "en": "zh", "zh": "en"}
LANG_COOKIE = "lang"


def negotiate_language() -> str:
    """The visitor's explicit choice (cookie), else Accept-Language, else English: a browser in
    a language we do not offer (Italian, Japanese) or in none is more likely to read English."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(PUBLIC_LANGUAGES + ("zh-CN", "zh-Hans"))
    if best and best.startswith("zh"):
        return "zh"
    return best or "en"


def select_locale() -> str:
    lang = g.get("lang")
    if lang:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return g.get("timezone") or current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_language() -> str:
    return str(get_locale().language) if get_locale() else "zh"


def translated(value, lang: str | None = None):
    """Pick a language from a {zh,en,de,fr} mapping of content; plain values pass through."""
    if not isinstance(value, dict):
        return value
    lang = lang or current_language()
    return value.get(lang) or value.get(FALLBACK.get(lang, "en")) or next(iter(value.values()))


def _locale() -> Locale:
    return get_locale() or Locale.parse("zh")


def number(value, digits: int = 0) -> str:
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=fmt, locale=_locale())


def figure(text) -> str:
    """A figure written in content as "4.5" shown the reader's way (4,5 in German)."""
    try:
        value = Decimal(str(text))
    except ArithmeticError:
        return str(text)
    digits = max(0, -value.as_tuple().exponent)
    return number(value, digits)


def money_compact(amount) -> str:
    """Large CNY amounts the reader's way: 5亿 in Chinese, 500 Mio. in German."""
    return format_compact_currency(Decimal(amount), "CNY", locale=_locale(), fraction_digits=1)


def _wan_yi(amount: Decimal) -> str:
    """A yuan amount as Chinese staff and investors say it: 1.5亿元, 3,000万元, 8,000元."""
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    for unit, size, digits in (("亿元", Decimal(10) ** 8, 4), ("万元", Decimal(10) ** 4, 2)):
        if amount >= size:
            value = round(amount / size, digits).normalize()
            places = max(0, -value.as_tuple().exponent)
            return f"{sign}{number(value, places)}{unit}"
    return f"{sign}{number(amount)}元"


def money(amount) -> str:
    """A CNY amount in full, without cents; in 万元 and 亿元 in Chinese."""
    loc = _locale()
    if loc.language == "zh":
        return _wan_yi(Decimal(amount))
    pattern = loc.currency_formats["standard"].pattern.replace(".00", "")
    return format_currency(
        Decimal(amount), "CNY", format=pattern, locale=loc, currency_digits=False
    )


def area(m2) -> str:
    """Mu on Chinese pages; hectares and square metres on the others."""
    loc = _locale()
    if loc.language == "zh":
        return gettext("%(mu)s mu", mu=number(m2_to_mu(m2), 2 if m2_to_mu(m2) % 1 else 0))
    ha = format_unit(m2_to_ha(m2), "area-hectare", length="short", locale=loc, format="#,##0.00")
    sqm = format_unit(Decimal(m2), "area-square-meter", length="short", locale=loc, format="#,##0")
    return f"{ha} ({sqm})"


def area_mu(mu) -> str:
    """A quantity given in mu (a land-need bound), in the reader's unit."""
    return area(mu_to_m2(mu))


def land_band_area(mu) -> str:
    """A land-need band's bound: mu in Chinese, else hectares with no more digits than it has
    ("1 ha", "20 ha"), since the bands are whole hectares and 1.00 ha reads as a measurement."""
    if _locale().language == "zh":
        return area_mu(mu)
    ha = m2_to_ha(mu_to_m2(mu))
    return format_unit(ha, "area-hectare", length="short", locale=_locale(), format="#,##0.##")


def phone(number: str | None) -> str:
    """A phone number grouped the international way (+86 28 5555 0120), however it was typed;
    a number the library cannot read is shown as given."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def tel_uri(number: str | None) -> str:
    """The number for a tel: link: digits and the leading plus only."""
    return "tel:" + re.sub(r"[^\d+]", "", number or "")


# Where Babel's own formats are ambiguous or foreign to the reader ("12/9/26, 11:59 PM" is US
# English), the patterns staff and investors read: day before month, four-digit years, 24 hours.
DATE_PATTERNS = {
    ("en", "long"): "d MMMM y",
    ("en", "medium"): "d MMM y",
    ("en", "short"): "d MMM y",
    ("de", "short"): "dd.MM.y",
    ("zh", "short"): "y年M月d日",
}
DATETIME_PATTERNS = {
    ("zh", "medium"): "y年M月d日 HH:mm",
    ("zh", "short"): "y年M月d日 HH:mm",
    ("en", "medium"): "d MMM y, HH:mm",
    ("en", "short"): "d MMM y, HH:mm",
    ("de", "medium"): "dd.MM.y, HH:mm",
    ("de", "short"): "dd.MM.y, HH:mm",
    ("fr", "medium"): "dd/MM/y HH:mm",
    ("fr", "short"): "dd/MM/y HH:mm",
}


def _pattern(lang: str, fmt: str) -> str:
    """The date pattern a named format stands for in this language (or fmt, already a pattern)."""
    if (lang, fmt) in DATE_PATTERNS:
        return DATE_PATTERNS[(lang, fmt)]
    if fmt in ("full", "long", "medium", "short"):
        return str(_locale().date_formats[fmt].pattern)
    return fmt


# French writes the first of the month as an ordinal, "1er janvier", wherever the day is
# followed by a month's name; numeric dates (01/01/2026) stay as they are.
_FR_DAY_BEFORE_MONTH = re.compile(r"(?<![d'])d(?!d)(?= MMM|$)")


def date(value, fmt: str = "long") -> str:
    if not value:
        return ""
    lang = _locale().language
    pattern = _pattern(lang, fmt)
    if lang == "fr" and value.day == 1:
        pattern = _FR_DAY_BEFORE_MONTH.sub("'1er'", pattern)
    return format_date(value, format=pattern)


# Condensed ranges: the parts two dates share are written once ("9.–11. Dezember 2026").
# Babel's format_interval knows only abbreviated months ("9.–11. Dez. 2026") and, in Chinese,
# a spaced dash where readers write 至; hence these patterns: (same month, same year).
RANGE_PATTERNS = {
    "de": ("d.", "d. MMMM y", "d. MMMM", "d. MMMM y"),
    "en": ("d", "d MMMM y", "d MMMM", "d MMMM y"),
    "fr": ("d", "d MMMM y", "d MMMM", "d MMMM y"),
    "zh": ("y年M月d日", "d日", "y年M月d日", "M月d日"),
}


def date_range(start, end) -> str:
    """An event's days, condensed: "9–11 December 2026", "2026年12月9日至11日"; across months
    and years the differing parts are repeated ("30 November – 2 December 2026")."""
    if not start:
        return ""
    if not end or end == start:
        return date(start)
    lang = _locale().language
    same_month, same_month_end, same_year, same_year_end = RANGE_PATTERNS.get(
        lang, RANGE_PATTERNS["en"]
    )
    if (start.year, start.month) == (end.year, end.month):
        first, last, dash = date(start, same_month), date(end, same_month_end), "–"
    elif start.year == end.year:
        first, last, dash = date(start, same_year), date(end, same_year_end), " – "
    else:
        first, last, dash = date(start), date(end), " – "
    return f"{first}至{last}" if lang == "zh" else f"{first}{dash}{last}"


@lru_cache(maxsize=64)
def _datetime_pattern(locale: str, fmt: str) -> DateTimePattern:
    loc = Locale.parse(locale)
    if (loc.language, fmt) in DATETIME_PATTERNS:
        return parse_pattern(DATETIME_PATTERNS[(loc.language, fmt)])
    combined = (
        get_datetime_format(fmt, locale=loc)
        .replace("'", "")
        .replace("{0}", str(loc.time_formats[fmt].pattern))
        .replace("{1}", str(loc.date_formats[fmt].pattern))
    )
    return parse_pattern(combined)


def datetime_text(value, fmt: str = "medium") -> str:
    """A moment in the reader's time zone and way: Babel's format_datetime for the named
    formats, with the locale's combined pattern parsed once (lists show hundreds of dates)."""
    if value is None:
        return ""
    if fmt not in ("full", "long", "medium", "short"):
        return format_datetime(value, fmt)
    loc = _locale()
    return _datetime_pattern(str(loc), fmt).apply(to_user_timezone(value), loc)


def init_app(app) -> None:
    app.jinja_env.filters.update(
        number=number,
        figure=figure,
        money=money,
        money_compact=money_compact,
        area=area,
        area_mu=area_mu,
        phone=phone,
        tel_uri=tel_uri,
    )
    app.jinja_env.filters["date"] = date
    app.jinja_env.globals["date_range"] = date_range
    app.jinja_env.filters["datetime"] = datetime_text
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES, translated=translated, match_reason=reason_text
    )

    @app.context_processor
    def language_context():
        lang = current_language()
        return {"lang": lang, "lang_tag": LANGUAGES.get(lang, LANGUAGES["zh"])["tag"]}
