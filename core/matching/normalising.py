"""Normalising names, emails and phones so the same firm or person is recognised across scripts."""

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from rapidfuzz import fuzz

from core.matching.dictionary import (
    BUSINESS_WORDS_ZH,
    LATIN_SYNONYMS,
    LEGAL_FORMS_LATIN,
    LEGAL_FORMS_ZH,
)
from core.matching.segmenting import zh_words

_SEPARATORS = re.compile(r"[\s\-_.,;:&+/\\()（）【】\[\]'\"·、，。]+")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_ZH_BRACKETS = re.compile(r"[（(][^）)]*[）)]")


def _has_cjk(text: str) -> bool:
    return _CJK_RUN.search(text) is not None


def _strip_legal_form_zh(text: str) -> str:
    # A bracketed place in the middle ("西门子（中国）有限公司") only says where the branch is.
    text = _ZH_BRACKETS.sub(" ", text).strip()
    for form in LEGAL_FORMS_ZH:
        if text.endswith(form) and len(text) > len(form):
            return text[: -len(form)]
    return text


@lru_cache(maxsize=262144)
def normalise_company(name: str) -> str:
    """A comparable form: Latin letters, lower case, no legal form, Chinese business words in
    English and the rest as pinyin ("成都天府精密机械有限公司" -> "chengdu tianfu precision
    machinery", like "Chengdu Tianfu Precision Machinery Co., Ltd.")."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name).strip()
    if _has_cjk(text):
        text = _strip_legal_form_zh(text)
        text = _CJK_RUN.sub(lambda m: " " + " ".join(zh_words(m.group())) + " ", text)
    folded = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    text = text.replace("ß", "ss")
    # An apostrophe joins a word's syllables (Xi'an is one place), it does not split it.
    text = text.replace("'", "").replace("’", "")
    words = [w for w in _SEPARATORS.split(text) if w and w not in LEGAL_FORMS_LATIN]
    # "co kg" and "s a r l": legal forms written in pieces.
    joined = " ".join(LATIN_SYNONYMS.get(w, w) for w in words)
    for form in (" co kg", " s a r l", " s a s", " s a", " s r l", " b v", " n v"):
        if joined.endswith(form):
            joined = joined[: -len(form)]
    return joined.strip()


def similarity_of_keys(na: str, nb: str, **_kwargs) -> float:
    """0–100 between two normalised names (order-tolerant, spacing-tolerant)."""
    if not na or not nb:
        return 0.0
    # Pinyin splits 天府 into "tian fu" while the English writes "Tianfu": compare joined too.
    joined = fuzz.ratio(na.replace(" ", ""), nb.replace(" ", ""))
    return max(fuzz.token_sort_ratio(na, nb), joined)


# Words many firms share: two names alike only in these are different firms
# ("Weber Maschinenbau" and "Becker Maschinenbau"), so the rest must be alike too.
GENERIC_WORDS = frozenset(
    {w for words in BUSINESS_WORDS_ZH.values() for w in words.split()}
    | set(LATIN_SYNONYMS.values())
    | {
        "maschinenbau", "technik", "logistik", "systems", "system", "solutions", "services",
        "service", "industrie", "international", "global", "europe", "china", "werke", "werk",
        "products", "product", "partners", "consulting", "and", "und", "et", "de", "of",
    }
)  # fmt: skip


@lru_cache(maxsize=262144)
def distinctive_part(key: str) -> str:
    """The words of a normalised name that tell one firm from another (places, brands)."""
    return " ".join(w for w in key.split() if w not in GENERIC_WORDS)


def match_score(na: str, nb: str) -> float:
    """0–100 for imports and duplicate checks: alike overall AND alike in the distinctive words.

    Thresholds are set in core/imports (strong = merge, weak = flag) from the tests' matches
    and non-matches.
    """
    overall = similarity_of_keys(na, nb)
    da, db_ = distinctive_part(na), distinctive_part(nb)
    if not da or not db_:
        return overall
    return min(overall, similarity_of_keys(da, db_))


def company_similarity(a: str, b: str) -> float:
    """0–100: how alike two company names are once normalised."""
    return similarity_of_keys(normalise_company(a), normalise_company(b))


def normalise_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


# Kept per (number, country): a new lead's candidates bring the same stored numbers again and
# again, and parsing one cost more than comparing the two firms.
@lru_cache(maxsize=8192)
def normalise_phone(phone: str | None, country: str | None = None) -> str | None:
    """E.164 if the number parses (with the country as a hint), else None."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, (country or "CN").upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
