"""Cleaning one cell per field: countries by code or name, ratings, tags, emails, phones."""

import re
import unicodedata
from functools import lru_cache

from sqlalchemy import select

from core.countries import country_names
from core.extensions import db
from core.models import ListItem

# Names people write that the CLDR lists do not hold (or hold in a longer form).
COUNTRY_ALIASES = {
    "prc": "CN", "pr china": "CN", "p r china": "CN", "china mainland": "CN",
    "mainland china": "CN", "中国大陆": "CN", "中华人民共和国": "CN", "大陆": "CN",
    "uk": "GB", "england": "GB", "great britain": "GB", "britain": "GB", "英国": "GB",
    "usa": "US", "u s a": "US", "us": "US", "america": "US", "united states of america": "US",
    "美国": "US", "德国": "DE", "法国": "FR", "brd": "DE", "holland": "NL",
    "south korea": "KR", "korea": "KR", "韩国": "KR", "czech republic": "CZ",
    "hong kong": "HK", "香港": "HK", "taiwan": "TW", "台湾": "TW", "中国台湾": "TW",
    "macau": "MO", "macao": "MO", "澳门": "MO", "russia": "RU",
}  # fmt: skip
RATINGS = {
    "hot": "hot", "warm": "warm", "cold": "cold", "热": "hot", "温": "warm", "冷": "cold",
    "高": "hot", "中": "warm", "低": "cold", "a": "hot", "b": "warm", "c": "cold",
    "heiß": "hot", "heiss": "hot", "kalt": "cold", "chaud": "hot", "tiède": "warm",
    "tiede": "warm", "froid": "cold", "high": "hot", "medium": "warm", "low": "cold",
}  # fmt: skip
LANGUAGE_BY_COUNTRY = {
    "CN": "zh", "TW": "zh", "HK": "zh", "MO": "zh", "SG": "zh",
    "DE": "de", "AT": "de", "CH": "de", "LI": "de",
    "FR": "fr", "BE": "fr", "LU": "fr", "MC": "fr",
}  # fmt: skip
_TAG_SPLIT = re.compile(r"[,;，；、|]+")
_FOLD_SPACE = re.compile(r"[\s.\-_'’()]+")
EMAIL = re.compile(r"^[\w.!#$%&'*+/=?^`{|}~-]+@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}$")
# A cell a spreadsheet would run: kept as text, but the user is told.
FORMULA = re.compile(r"^(=|@|[+\-]\s*[A-Za-z(=@])")


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    plain = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    return _FOLD_SPACE.sub(" ", plain).strip()


@lru_cache(maxsize=1)
def _country_lookup() -> dict[str, str]:
    lookup = {}
    for lang in ("en", "de", "fr", "zh"):
        for code, name in country_names(lang).items():
            lookup[_fold(name)] = code
            lookup[code.casefold()] = code
    lookup.update({_fold(alias): code for alias, code in COUNTRY_ALIASES.items()})
    return lookup


def parse_country(text: str) -> str | None:
    """ISO code from a code or a name in zh/en/de/fr (None if unknown)."""
    if not text:
        return None
    return _country_lookup().get(_fold(text))


def language_for(country: str) -> str:
    return LANGUAGE_BY_COUNTRY.get(country, "en")


def parse_rating(text: str) -> str | None:
    return RATINGS.get(text.strip().casefold()) if text else None


def parse_tags(text: str) -> list[str]:
    tags = [t.strip()[:40] for t in _TAG_SPLIT.split(text or "")]
    return list(dict.fromkeys(t for t in tags if t))[:20]


def clean_email(text: str) -> str | None:
    """The address in lower case, or None if it is not one (shape only: 50k rows, no DNS)."""
    address = text.strip().lower()
    if len(address) > 254 or not EMAIL.match(address):
        return None
    return address


def industry_lookup() -> dict[str, str]:
    """Industry codes by code and by label in every language (read once per check)."""
    lookup = {}
    for item in db.session.scalars(select(ListItem).where(ListItem.kind == "industry")):
        lookup[_fold(item.code)] = item.code
        for label in (item.labels or {}).values():
            if label:
                lookup[_fold(label)] = item.code
    return lookup


def parse_industry(text: str, lookup: dict[str, str]) -> str:
    """The list's code when the text names one, else the text itself (shortened)."""
    if not text:
        return ""
    return lookup.get(_fold(text), text.strip()[:64])


def looks_like_formula(text: str) -> bool:
    return bool(text) and FORMULA.match(text) is not None
