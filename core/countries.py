"""Countries and regions named in the reader's language, sorted the reader's way."""

import unicodedata
from functools import lru_cache

from babel import Locale

from core.i18n import current_language

# Babel lists regions that are not ISO 3166-1 countries (EU, UN, Canary Islands…); leave them out.
NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)
# fmt: off
EU_MEMBERS = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})
# fmt: on
# Names a Chinese government site must use for these regions.
OFFICIAL_NAMES = {
    "TW": {"zh": "中国台湾", "en": "Taiwan, China", "de": "Taiwan (China)", "fr": "Taïwan (Chine)"},
}


def _sort_key(name: str, lang: str) -> str:
    """Alphabetical the reader's way: pinyin for Chinese, accents ignored elsewhere."""
    if lang == "zh":
        from pypinyin import lazy_pinyin  # its dictionaries load once a Chinese list is sorted

        return " ".join(lazy_pinyin(name))
    folded = unicodedata.normalize("NFKD", name)
    return "".join(c for c in folded if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=8)
@lru_cache(maxsize=8)
def country_names(lang: str) -> dict[str, str]:
    """ISO country code -> name in lang, sorted by name (shared: never change the result)."""
    territories = dict(Locale.parse(lang).territories)
    territories.update({code: names[lang] for code, names in OFFICIAL_NAMES.items()})
    codes = [c for c in territories if len(c) == 2 and c.isalpha() and c not in NOT_COUNTRIES]
    return {c: territories[c] for c in sorted(codes, key=lambda c: _sort_key(territories[c], lang))}


def country_name(code: str, lang: str | None = None) -> str:
    return country_names(lang or current_language()).get(code, code)
