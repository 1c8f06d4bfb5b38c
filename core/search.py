"""Finding a lead as staff type it: the search text every lead keeps (names, aliases, pinyin,
folded Latin, phone digits, emails, code name) and the conditions a search box turns into."""

import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache

import phonenumbers
from sqlalchemy import func, select

from core.code_names import code_name_for, lead_id_of_code
from core.matching import normalise_phone
from core.models import Lead

# One search box takes at most this many characters.
MAX_SEARCH = 100
# A long alias list must not make one lead's text unbounded.
MAX_TEXT = 8000
# A phone typed as people type it: digits with spaces, dashes, dots, brackets and a leading +.
_PHONE_LIKE = re.compile(r"\+?[\d\s\-().]+")
_MIN_PHONE_DIGITS = 3
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_CJK_PAIR = re.compile(r"[\u3400-\u9fff]{2}")
# German writes ä as ae, so Mueller and Müller are one name; elsewhere accents simply drop.
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold(text: str) -> str:
    """Lower case without accents: Müller → muller, Ørsted → ørsted, Straße → strasse."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("ß", "ss")


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def phone_forms(phone: str | None, country: str | None) -> list[str]:
    """The digit strings a person may type for a number: as written, international (86…) and
    national with its trunk prefix (028…); any shorter piece of them is found as a substring."""
    if not phone:
        return []
    forms = [_digits(phone)]
    e164 = normalise_phone(phone, country)
    if e164:
        forms.append(e164.lstrip("+"))
        number = phonenumbers.parse(e164)
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        forms.append(_digits(national))
    return [form for form in forms if form]


@lru_cache(maxsize=65536)
def _pinyin(run: str) -> tuple[str, str]:
    # pypinyin costs ~0.1 ms a call and places and brands repeat (a migration, an import). Its
    # import waits for the first Chinese name (core.matching.segmenting.pinyin says why).
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(run)), "".join(lazy_pinyin(run, style=Style.FIRST_LETTER))


def _name_forms(name: str) -> list[str]:
    """A name the ways staff type it: folded, German-transliterated, and for Chinese its pinyin
    (full and initials) and every pair of characters as its own word (two-character searches)."""
    lowered = unicodedata.normalize("NFKC", name).casefold()
    forms = [fold(lowered), fold(lowered.translate(_GERMAN))]
    for run in _CJK_RUN.findall(lowered):
        forms += _pinyin(run)
        forms += [run[i : i + 2] for i in range(len(run) - 1)]
    return forms


def search_text(
    names: Iterable[str | None],
    people: Iterable[tuple[str | None, str | None, str | None]],
    code_name: str | None,
    country: str | None,
) -> str:
    """What one lead is found by: its company names and aliases, its contacts as (name, email,
    phone), its code name. Space-separated and space-padded, so " 蓝光 " is a whole word."""
    phrases: list[str] = []
    extra: list[str] = []
    for name in names:
        if name and name.strip():
            phrases.append(name.strip().lower())
            extra += _name_forms(name)
    for person, email, phone in people:
        if person and person.strip():
            phrases.append(person.strip().lower())
            extra += _name_forms(person)
        if email and email.strip():
            phrases.append(email.strip().lower())
        extra += phone_forms(phone, country)
    if code_name:
        phrases.append(code_name.lower())
    seen = set(phrases)
    words = []
    for form in extra:
        for word in form.split():
            if word not in seen:
                seen.add(word)
                words.append(word)
    return f" {' '.join(phrases + words)[:MAX_TEXT]} "


def lead_search_text(lead: Lead) -> str:
    """The search text of a lead as loaded (contacts and aliases through the session)."""
    names = [lead.company_name, lead.company_name_latin, *(a.name for a in lead.aliases)]
    people = [(c.name, c.email, c.phone) for c in lead.contacts]
    # A contact's WeChat ID is found as a name is, the mobile as a phone.
    people += [(c.wechat_id, None, c.mobile) for c in lead.contacts if c.wechat_id or c.mobile]
    return search_text(names, people, lead.code_name, lead.country)


def refresh(lead: Lead) -> None:
    """Rewrite a lead's search text after its names, aliases or contacts changed."""
    lead.search_text = lead_search_text(lead)


def terms(raw: str) -> list[str]:
    """The search box as LIKE patterns, one per word that must occur; a phone-like entry is one
    number ("+86 28 8765 4321" → its digits), a two-character Chinese word a whole word."""
    raw = " ".join(raw.split())
    if _PHONE_LIKE.fullmatch(raw) and len(_digits(raw)) >= _MIN_PHONE_DIGITS:
        digits = _digits(raw)
        # 0086…: dialled from abroad, 00 stands for the +.
        return [f"%{digits[2:] if digits.startswith('00') else digits}%"]
    patterns = []
    # A code name as Chinese staff read it (水獭-00054) is stored as English staff read it.
    raw = " ".join(
        code_name_for(lead_id) if (lead_id := lead_id_of_code(word)) else word
        for word in raw.split()
    )
    for word in fold(raw).split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # The pair is indexed as its own word (trigram indexes need three characters).
        pair = _CJK_PAIR.fullmatch(word) is not None
        patterns.append(f"% {escaped} %" if pair else f"%{escaped}%")
    return patterns


def conditions(raw: str) -> list:
    """WHERE clauses for a search, all of which a lead must meet."""
    return [Lead.search_text.like(pattern, escape="\\") for pattern in terms(raw)]


@contextmanager
def trigram_first(session) -> Iterator[None]:
    """Statements run inside start from the trigram index on PostgreSQL, never a table scan.

    A search capped with LIMIT looks cheap to the planner as a scan that stops at the cap, as if
    every row cost the same; each row costs a LIKE over its whole search text, and the index
    finds the same 1,001 matches of a common term in 3 ms instead of 20 (100,000 leads).
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(select(func.set_config("enable_seqscan", "off", True)))
    try:
        yield
    finally:
        if postgres:
            session.execute(select(func.set_config("enable_seqscan", "on", True)))
