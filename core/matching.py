"""Normalising names, emails and phones so the same firm or person is recognised across scripts."""

import re
import unicodedata

import phonenumbers
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz

# Legal-form words carry no identity: "GmbH" and "有限公司" must not make two names alike or apart.
LEGAL_FORMS_ZH = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "集团",
    "股份公司",
    "公司",
    "分公司",
    "厂",
)
LEGAL_FORMS_LATIN = {
    "co",
    "ltd",
    "limited",
    "company",
    "corp",
    "corporation",
    "inc",
    "llc",
    "plc",
    "group",
    "gmbh",
    "ag",
    "kg",
    "ohg",
    "ug",
    "se",
    "mbh",
    "co kg",
    "sa",
    "sas",
    "sarl",
    "sasu",
    "snc",
    "eurl",
    "spa",
    "srl",
    "bv",
    "nv",
    "ab",
    "as",
    "oy",
    "holding",
    "holdings",
    "the",
}
# Chinese city and province names often lead a firm's name; their pinyin stays in the match.
_SEPARATORS = re.compile(r"[\s\-_.,;:&+/\\()（）'\"·]+")


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def normalise_company(name: str) -> str:
    """A comparable form: Latin letters, lower case, no legal form, Chinese as pinyin."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name).strip()
    if _has_cjk(text):
        for form in sorted(LEGAL_FORMS_ZH, key=len, reverse=True):
            if text.endswith(form):
                text = text[: -len(form)]
                break
        text = " ".join(lazy_pinyin(text))
    folded = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    words = [w for w in _SEPARATORS.split(text) if w and w not in LEGAL_FORMS_LATIN]
    return " ".join(words)


def similarity_of_keys(na: str, nb: str, **_kwargs) -> float:
    """0–100 between two normalised names (order-tolerant, spacing-tolerant)."""
    if not na or not nb:
        return 0.0
    # Pinyin splits 天府 into "tian fu" while the English writes "Tianfu": compare joined too.
    joined = fuzz.ratio(na.replace(" ", ""), nb.replace(" ", ""))
    return max(fuzz.token_sort_ratio(na, nb), joined)


def company_similarity(a: str, b: str) -> float:
    """0–100: how alike two company names are once normalised."""
    return similarity_of_keys(normalise_company(a), normalise_company(b))


def normalise_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


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
