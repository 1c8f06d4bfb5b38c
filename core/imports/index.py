"""Finding matches in bulk: existing leads indexed once by email, phone and company name."""

import re
from collections import defaultdict

from rapidfuzz import fuzz, process
from sqlalchemy import bindparam, select, update

from core.extensions import db
from core.matching import distinctive_part, match_score, normalise_company, normalise_phone
from core.models import Contact, Lead

# Company scores (core.matching.match_score), chosen from tests/core/test_matching_*.py:
# at or above STRONG the names differ only in spelling or legal form (merge by default);
# between WEAK and STRONG they may be one firm (created, flagged as a possible duplicate).
STRONG_COMPANY_SCORE = 95
WEAK_COMPANY_SCORE = 85
# A word in more names than this says little (every "chengdu" firm): it is not used to block.
MAX_POSTINGS = 400
# The rarest word blocks on its own; a second word adds its names only when it is this rare.
SECOND_BLOCK = 100
# Candidates compared in Python after rapidfuzz's C scorer has kept the best of a large block.
SHORTLIST = 3
# Names this far apart in word order and spelling never reach WEAK_COMPANY_SCORE in full.
PREFILTER = 70


_NUMBERS = re.compile(r"\d+")
# Addresses anyone can have: a shared domain there says nothing about the firm.
FREE_MAIL = frozenset(
    {"gmail.com", "qq.com", "163.com", "126.com", "sina.com", "outlook.com", "hotmail.com",
     "yahoo.com", "foxmail.com", "gmx.de", "web.de", "t-online.de", "orange.fr", "free.fr",
     "icloud.com", "aliyun.com", "139.com", "yeah.net", "sohu.com", "live.com"}
)  # fmt: skip


def domain_of(email: str | None) -> str | None:
    """The firm's mail domain, or None for free-mail addresses and no address."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].lower()
    return None if domain in FREE_MAIL else domain


def company_score(a: str, b: str) -> int:
    """match_score, except that names with different numbers ("Plant 2", "新公司18") never match."""
    if _NUMBERS.findall(a) != _NUMBERS.findall(b):
        return 0
    return int(match_score(a, b))


class NameIndex:
    """Normalised company names -> ids, with a word index so a lookup compares a few names."""

    def __init__(self) -> None:
        self.exact: dict[str, list[int]] = defaultdict(list)
        self.postings: dict[str, list[str]] = defaultdict(list)

    def add(self, key: str, ident: int) -> None:
        if not key:
            return
        if key not in self.exact:
            for word in set(distinctive_part(key).split() or key.split()):
                self.postings[word].append(key)
        self.exact[key].append(ident)

    def best(self, key: str) -> tuple[int, int] | None:
        """(id, score) of the most alike name at WEAK_COMPANY_SCORE or above, else None."""
        if not key:
            return None
        if key in self.exact:
            return self.exact[key][0], 100
        words = set(distinctive_part(key).split() or key.split())
        blocks = sorted(
            (self.postings[w] for w in words if 0 < len(self.postings.get(w, ())) <= MAX_POSTINGS),
            key=len,
        )
        if not blocks:
            return None
        candidates = set(blocks[0])
        if len(blocks) > 1 and len(blocks[1]) <= SECOND_BLOCK:
            candidates.update(blocks[1])
        if not candidates:
            return None
        # rapidfuzz's C scorer keeps the few worth the full (Python) score.
        shortlist = process.extract(
            key, candidates, scorer=fuzz.token_sort_ratio, score_cutoff=PREFILTER, limit=SHORTLIST
        )
        candidates = {name for name, _, _ in shortlist}
        scored = max(((company_score(key, other), other) for other in candidates), default=None)
        if scored is None or scored[0] < WEAK_COMPANY_SCORE:
            return None
        return self.exact[scored[1]][0], int(scored[0])


class LeadIndex:
    """Active leads (not merged away, not anonymised) by email, phone and company name."""

    def __init__(self) -> None:
        self.emails: dict[str, int] = {}
        self.phones: dict[str, int] = {}
        self.names = NameIndex()
        self.labels: dict[int, str] = {}
        # Firm mail domains per lead: a company match with another firm's domain is weak.
        self.domains: dict[int, set[str]] = defaultdict(set)

    @classmethod
    def load(cls) -> "LeadIndex":
        index = cls()
        active = (Lead.merged_into_id.is_(None), Lead.anonymised_at.is_(None))
        for lead_id, name, key in db.session.execute(
            select(Lead.id, Lead.company_name, Lead.company_key).where(*active)
        ):
            index.labels[lead_id] = name
            index.names.add(key, lead_id)
        for lead_id, email, phone, country in db.session.execute(
            select(Contact.lead_id, Contact.email, Contact.phone, Lead.country)
            .join(Lead, Lead.id == Contact.lead_id)
            .where(*active)
        ):
            if email:
                index.emails.setdefault(email.strip().lower(), lead_id)
                if domain := domain_of(email):
                    index.domains[lead_id].add(domain)
            if phone:
                # Stored phones are E.164 already when they parsed; parse the others once here.
                plain = phone.replace(" ", "")
                e164 = plain if plain[:1] == "+" and plain[1:].isdigit() else None
                e164 = e164 or normalise_phone(phone, country)
                if e164:
                    index.phones.setdefault(e164, lead_id)
        return index


def refresh_company_keys(batch: int = 2000) -> int:
    """Recompute Lead.company_key with today's core.matching.normalise_company (for the data
    migration after the normal form changed); returns how many keys changed. Caller commits."""
    table = Lead.__table__
    changed = 0
    last = 0
    while True:
        rows = db.session.execute(
            select(
                table.c.id, table.c.company_name, table.c.company_name_latin, table.c.company_key
            )
            .where(table.c.id > last, table.c.anonymised_at.is_(None))
            .order_by(table.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return changed
        last = rows[-1].id
        updates = [
            {"b_id": row.id, "b_key": key}
            for row in rows
            if (key := normalise_company(row.company_name_latin or row.company_name)[:200])
            != row.company_key
        ]
        if updates:
            db.session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(company_key=bindparam("b_key")),
                updates,
            )
            changed += len(updates)
