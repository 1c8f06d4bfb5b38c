"""Whether two firms are one: a default merge, a suggestion or nothing, with the reasons in words.

Names decide first (brand, place, trade words, numbers), contacts second: a shared phone or
e-mail makes a merge only when the names do not contradict it, and a free-mail domain says
nothing about the firm.
"""

import re
from dataclasses import dataclass, field
from functools import cached_property

from flask_babel import gettext
from rapidfuzz import fuzz

from core.matching.normalising import normalise_company
from core.matching.segmenting import NameParts, segment

MERGE, SUGGEST = "merge", "suggest"
# A pair a person marked as two firms: shown as such, never merged or flagged again.
MARKED_DIFFERENT = "different"
# Levels of agreement between two names, best last.
DIFFERENT, EXTENDS, LIKE, SAME = 0, 1, 2, 3
# Scores shown beside a verdict: a merge at 95 or more, a suggestion from 85 to 94.
MERGE_SCORE, SUGGEST_SCORE = 95, 85
# A suggestion at this score or more has names alike (a spelling, a place or trade left out),
# not merely a group's other firm or a shared contact.
ALIKE_SCORE = 88
# Brands this alike are one brand misspelt ("Tianfu" / "Tianfo", "Hoffmann" / "Hofmann").
SIMILAR_BRAND = 85
CLOSE_BRAND = 80
# Addresses anyone can have: a shared domain there says nothing about the firm.
FREE_MAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "foxmail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "aliyun.com",
        "139.com",
        "yeah.net",
        "188.com",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "web.de",
        "t-online.de",
        "freenet.de",
        "orange.fr",
        "free.fr",
        "wanadoo.fr",
        "laposte.net",
        "sfr.fr",
        "mail.ru",
        "yandex.ru",
        "protonmail.com",
        "proton.me",
    ]
)
_FREE_FAMILIES = re.compile(r"^(yahoo|ymail|hotmail|outlook|live|example)\.")


def mail_domain(email: str | None) -> str | None:
    """The firm's mail domain, or None for free mail, example domains and no address."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    if not domain or domain in FREE_MAIL or _FREE_FAMILIES.search(domain):
        return None
    return domain


@dataclass(frozen=True)
class Reason:
    """One thing that agrees or disagrees, said in the reader's language by text()."""

    code: str
    a: str = ""
    b: str = ""

    def text(self) -> str:
        return reason_text({"code": self.code, "a": self.a, "b": self.b})

    def as_dict(self) -> dict:
        return {"code": self.code, "a": self.a, "b": self.b}


def reason_text(reason: dict | str) -> str:
    """A stored reason (a dict, or the codes of before: email, phone, company) in words."""
    if isinstance(reason, str):
        reason = {"code": {"email": "same_email", "phone": "same_phone"}.get(reason, reason)}
    a, b = reason.get("a", ""), reason.get("b", "")
    texts = {
        "same_email": lambda: gettext("same e-mail address"),
        "same_domain": lambda: gettext("same e-mail domain (%(domain)s)", domain=a),
        "other_domain": lambda: gettext("different e-mail domains: %(a)s vs %(b)s", a=a, b=b),
        "same_phone": lambda: gettext("same phone"),
        "shared_contact": lambda: gettext("shared phone or e-mail but names differ"),
        "same_name": lambda: gettext("same name"),
        "same_brand": lambda: gettext("same brand %(a)s / %(b)s", a=a, b=b),
        "similar_brand": lambda: gettext("similar brand: %(a)s / %(b)s", a=a, b=b),
        "different_brand": lambda: gettext("different brand: %(a)s vs %(b)s", a=a, b=b),
        "brand_extends": lambda: gettext(
            "one brand extends the other (a group's firms?): %(a)s vs %(b)s", a=a, b=b
        ),
        "other_order": lambda: gettext("same words in another order: %(a)s vs %(b)s", a=a, b=b),
        "different_place": lambda: gettext("different place: %(a)s vs %(b)s", a=a, b=b),
        "place_one_side": lambda: gettext("a place in one name only"),
        "different_trade": lambda: gettext("different trade: %(a)s vs %(b)s", a=a, b=b),
        "trade_partly": lambda: gettext("trade words only partly alike"),
        "different_numbers": lambda: gettext("different numbers in the names"),
        "different_country": lambda: gettext("different countries: %(a)s vs %(b)s", a=a, b=b),
        "known_different": lambda: gettext("marked as different firms before"),
        "company": lambda: gettext("similar company name"),
    }
    say = texts.get(reason.get("code", ""))
    return say() if say else str(reason.get("code", ""))


@dataclass
class Firm:
    """What is known of one firm on either side: a lead, a file row, a booth card, a referral."""

    name: str = ""
    name_latin: str = ""
    country: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()  # E.164
    ref: object = None  # the lead id or row number the caller knows it by
    blocking: tuple | None = field(default=None, repr=False)  # core.matching.candidates' keys

    @cached_property
    def parts(self) -> tuple[NameParts, ...]:
        return tuple(p for p in map(segment, dict.fromkeys((self.name, self.name_latin))) if p)

    @cached_property
    def keys(self) -> tuple[str, ...]:
        """The normalised company keys (core.matching.normalise_company), as firm_pairs keeps."""
        names = (self.name, self.name_latin)
        return tuple(dict.fromkeys(k for k in map(normalise_company, filter(None, names)) if k))

    @cached_property
    def mail(self) -> frozenset[str]:
        return frozenset(e.strip().lower() for e in self.emails if e)

    @cached_property
    def domains(self) -> frozenset[str]:
        return frozenset(d for d in map(mail_domain, self.emails) if d)


@dataclass
class Verdict:
    """merge (the default action), suggest (a person decides), different (a person said so
    before) or None, with why."""

    outcome: str | None
    score: int
    reasons: list[Reason] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [r.text() for r in self.reasons]


def _brands(pa: NameParts, pb: NameParts) -> tuple[int, Reason]:
    shown = (pa.brand, pb.brand)
    if pa.script == "zh" and pb.script == "zh":
        if pa.brand == pb.brand:
            return SAME, Reason("same_brand", *shown)
        # One sound, another character: a typist's slip as often as another firm.
        if pa.brand_key == pb.brand_key:
            return LIKE, Reason("similar_brand", *shown)
        return DIFFERENT, Reason("different_brand", *shown)
    latin = pa.script == pb.script == "latin"
    ka, kb = (pa.folded_key, pb.folded_key) if latin else (pa.brand_key, pb.brand_key)
    if pa.script != pb.script:
        shown = (pa.brand, pb.brand_key) if pa.script == "zh" else (pa.brand_key, pb.brand)
    if not ka or not kb:
        return LIKE, Reason("similar_brand", *shown)
    if ka == kb:
        return SAME, Reason("same_brand", *shown)
    wa, wb = pa.folded_words, pb.folded_words
    if latin and len(wa) > 1 and sorted(wa) == sorted(wb):
        return DIFFERENT, Reason("other_order", *shown)
    if set(wa) < set(wb) or set(wb) < set(wa):
        return EXTENDS, Reason("brand_extends", *shown)
    alike = fuzz.ratio(ka, kb) if min(len(ka), len(kb)) >= 4 else 0
    # Pinyin is written from the characters: across scripts a brand spelt otherwise is rarely
    # a slip, so it is only ever looked at, never merged.
    if alike >= SIMILAR_BRAND and latin:
        return LIKE, Reason("similar_brand", *shown)
    if alike >= CLOSE_BRAND:  # one letter of six: for a person to look at, never merged
        return EXTENDS, Reason("similar_brand", *shown)
    # "Bosch" in one script, "Boschrexroth" joined in another: a group and its firm.
    if ka.startswith(kb) or kb.startswith(ka):
        return EXTENDS, Reason("brand_extends", *shown)
    return DIFFERENT, Reason("different_brand", *shown)


def compare_names(pa: NameParts, pb: NameParts) -> tuple[int, list[Reason]]:
    """How far two names agree (DIFFERENT .. SAME) and why."""
    if pa.numbers != pb.numbers:
        return DIFFERENT, [Reason("different_numbers")]
    level, said = _brands(pa, pb)
    reasons = [said]
    if pa.places and pb.places and not pa.places & pb.places:
        reasons.append(Reason("different_place", *(", ".join(sorted(p.places)) for p in (pa, pb))))
        level = DIFFERENT
    elif bool(pa.places) != bool(pb.places):
        reasons.append(Reason("place_one_side"))
        level = min(level, LIKE)
    ta, tb = pa.strong_trades, pb.strong_trades
    if ta and tb and not ta & tb:
        reasons.append(Reason("different_trade", ", ".join(sorted(ta)), ", ".join(sorted(tb))))
        level = DIFFERENT
    elif ta != tb:
        reasons.append(Reason("trade_partly"))
        level = min(level, LIKE)
    # A European group names its firms by adding a trade ("Heraeus" / "Heraeus Medical"), where
    # a Chinese firm's short name drops it (成都蓝光 / 成都蓝光电子): without a place on either
    # side, a trade on one side only is another firm of the group.
    one_sided = bool(pa.trades) != bool(pb.trades) or bool(ta) != bool(tb)
    if level >= LIKE and not (pa.places or pb.places) and one_sided:
        reasons.append(Reason("brand_extends", pa.brand, pb.brand))
        level = EXTENDS
    return level, reasons


def compare(a: Firm, b: Firm, *, known_different=None) -> Verdict:
    """The verdict on two firms. known_different(key_a, key_b) -> bool: a person's earlier
    "different firm" (core.firm_pairs), which no evidence overturns."""
    if known_different is not None and any(
        known_different(ka, kb) for ka in a.keys for kb in b.keys
    ):
        return Verdict(MARKED_DIFFERENT, 0, [Reason("known_different")])
    level, reasons = DIFFERENT, []
    # Two Chinese names decide alone: the characters of the brand say more than any pinyin or
    # translation (蓝光 and 蓝天 stay apart however their English names are written).
    chinese = [(pa, pb) for pa in a.parts for pb in b.parts if pa.script == pb.script == "zh"]
    for pa, pb in chinese or [(pa, pb) for pa in a.parts for pb in b.parts]:
        found, why = compare_names(pa, pb)
        if found > level or not reasons:
            level, reasons = found, why
    contact: list[Reason] = []
    if a.mail & b.mail:
        contact.append(Reason("same_email"))
    if set(a.phones) & set(b.phones):
        contact.append(Reason("same_phone"))
    if shared := a.domains & b.domains:
        contact.append(Reason("same_domain", min(shared)))
    against: list[Reason] = []
    if a.domains and b.domains and not a.domains & b.domains:
        against.append(Reason("other_domain", min(a.domains), min(b.domains)))
    # A country typed wrong is common; one address or one firm domain on both sides outweighs it.
    if a.country and b.country and a.country != b.country and not contact:
        against.append(Reason("different_country", a.country, b.country))
    reasons = [*reasons, *contact, *against]
    if not a.parts or not b.parts:  # a name missing: the contacts alone
        level = LIKE if contact else DIFFERENT
    if level == SAME:
        outcome = SUGGEST if against else MERGE
        score = (100 if contact else 97) if outcome == MERGE else 92
    elif level == LIKE and len(against) < 2:
        outcome = MERGE if contact and not against else SUGGEST
        score = MERGE_SCORE if outcome == MERGE else ALIKE_SCORE
    elif level == EXTENDS and not against:
        outcome, score = SUGGEST, SUGGEST_SCORE + 1
    elif contact:
        outcome, score = SUGGEST, SUGGEST_SCORE
        reasons.append(Reason("shared_contact"))
    else:
        outcome, score = None, 40
    return Verdict(outcome, score, reasons)
