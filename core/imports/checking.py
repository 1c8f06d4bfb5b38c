"""Checking rows before anything is written: values cleaned, problems named, matches found."""

import re
from dataclasses import dataclass, field

from flask_babel import gettext

from core.imports.index import STRONG_COMPANY_SCORE, LeadIndex, NameIndex, domain_of
from core.imports.mapping import FIELD_KEYS, FIELDS
from core.imports.reading import Table
from core.imports.values import (
    clean_email,
    industry_lookup,
    looks_like_formula,
    parse_country,
    parse_industry,
    parse_rating,
    parse_tags,
)
from core.matching import normalise_company, normalise_phone

_NOT_DIGITS = re.compile(r"[\s\-./()]+")


def quick_e164(phone: str) -> str | None:
    """An international number written with +: its E.164 without phonenumbers (50k rows)."""
    if not phone.startswith("+"):
        return None
    digits = _NOT_DIGITS.sub("", phone.replace("(0)", ""))[1:]
    return f"+{digits}" if digits.isdigit() and 8 <= len(digits) <= 15 else None


PROGRESS_EVERY = 500
LIMITS = {"company": 200, "company_latin": 200, "contact_name": 200, "position": 120}
# Several columns mapped to one field are joined (First name + Last name).
JOINERS = {"notes": "\n", "interest": "\n", "tags": ", "}


@dataclass
class Match:
    """An existing lead (lead_id) or an earlier row of the same file (row) this row resembles."""

    reason: str  # email | phone | company
    score: int
    label: str  # the company as shown to the user
    lead_id: int | None = None
    row: int | None = None

    # A company match whose two sides write from different firms' mail domains: never merged
    # by default, however alike the names.
    other_domain: bool = False

    @property
    def strong(self) -> bool:
        if self.reason in ("email", "phone"):
            return True
        return self.score >= STRONG_COMPANY_SCORE and not self.other_domain


@dataclass
class RowCheck:
    number: int  # 1-based data row (the header row is not counted)
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)
    match: Match | None = None
    decision: str = "create"  # create | merge | skip | reject
    # True when a problem forbids importing the row (decision is then always "reject").
    blocking: bool = False
    # The decision before the user's choice (core.imports.jobs.decide), and whether the row's
    # match is a lead the user may not change, so never merged into.
    default: str = "create"
    no_merge: bool = False
    # For the run: the phone in E.164 (None if it did not parse) and the company keys.
    phone_e164: str | None = field(default=None, repr=False)
    keys: tuple[str, ...] = field(default=(), repr=False)


def _gather(table: Table, mapping: dict[str, str]):
    columns = [(i, mapping.get(h, "")) for i, h in enumerate(table.headers)]
    columns = [(i, f) for i, f in columns if f in FIELD_KEYS]
    for number, row in enumerate(table.rows, start=1):
        values: dict[str, list[str]] = {}
        for i, key in columns:
            if i < len(row) and row[i]:
                values.setdefault(key, []).append(row[i])
        yield number, {k: JOINERS.get(k, " ").join(v) for k, v in values.items()}


def _clean(raw: dict[str, str], default_country, industries) -> tuple[dict, list[str], bool, str]:
    """(values, problems, blocking, phone in E.164)."""
    problems: list[str] = []
    blocking = False
    values = {key: "" for key, _ in FIELDS}
    values.update({k: v.strip()[: LIMITS.get(k, 4000)] for k, v in raw.items()})
    for key, label in FIELDS:
        if looks_like_formula(raw.get(key, "")) and key != "phone":
            problems.append(
                gettext("%(field)s looks like a formula; it is kept as plain text.", field=label)
            )
    if not values["company"] and values["company_latin"]:
        values["company"] = values["company_latin"]
    if not values["company"]:
        problems.append(gettext("The company is missing."))
        blocking = True
    if values["email"]:
        email = clean_email(values["email"])
        if email is None:
            problems.append(gettext("Not a valid email address: %(email)s", email=values["email"]))
            blocking = True
        else:
            values["email"] = email
    if values["country"]:
        country = parse_country(values["country"])
        if country is None:
            problems.append(gettext("Unknown country: %(country)s", country=values["country"]))
            blocking = True
        values["country"] = country or values["country"]
    elif default_country:
        values["country"] = default_country
    else:
        problems.append(gettext("The country is missing."))
        blocking = True
    phone = None
    if values["phone"]:
        phone = quick_e164(values["phone"]) or normalise_phone(
            values["phone"], values["country"] if not blocking else None
        )
        if phone and len(phone) < 8:  # "+4912": possible by the rules, never a real line
            phone = None
        if phone is None:
            problems.append(
                gettext(
                    "Phone number not recognised; kept as written: %(phone)s", phone=raw["phone"]
                )
            )
    if not values["email"] and not values["phone"]:
        problems.append(gettext("No email or phone: the contact cannot be reached."))
    if values["rating"]:
        rating = parse_rating(values["rating"])
        if rating is None:
            problems.append(
                gettext("Unknown rating (hot, warm, cold): %(rating)s", rating=values["rating"])
            )
        values["rating"] = rating or ""
    values["tags"] = ", ".join(parse_tags(values["tags"]))
    values["industry"] = parse_industry(values["industry"], industries)
    return values, problems, blocking, phone


def check_rows(
    table: Table,
    mapping: dict[str, str],
    *,
    default_country: str | None = None,
    index: LeadIndex | None = None,
    progress=None,
) -> list[RowCheck]:
    """Every row validated and matched (existing leads, earlier rows), with default decisions.

    Defaults: a blocking problem rejects; an email or phone match, or a strong company match,
    merges (into the existing lead, or into the first row of the file that has it); a weak
    company match creates the lead and flags the pair as a possible duplicate. Reads the
    database (once, into an index), writes nothing.
    """
    index = index or LeadIndex.load()
    industries = industry_lookup()
    row_emails: dict[str, int] = {}
    row_phones: dict[str, int] = {}
    row_names = NameIndex()
    row_labels: dict[int, str] = {}
    row_domains: dict[int, set[str]] = {}
    checks = []
    for number, raw in _gather(table, mapping):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
        values, problems, blocking, phone = _clean(raw, default_country, industries)
        keys = tuple(
            dict.fromkeys(
                k for k in map(normalise_company, (values["company"], values["company_latin"])) if k
            )
        )
        check = RowCheck(number, values, problems, blocking=blocking, phone_e164=phone, keys=keys)
        checks.append(check)
        if blocking:
            check.decision = "reject"
            continue
        check.match = _find(check, index, row_emails, row_phones, row_names, row_labels)
        if check.match and check.match.reason == "company":
            mine = domain_of(values["email"])
            theirs = (
                index.domains.get(check.match.lead_id, set())
                if check.match.lead_id
                else row_domains.get(check.match.row, set())
            )
            check.match.other_domain = bool(mine and theirs and mine not in theirs)
        check.decision = "merge" if check.match and check.match.strong else "create"
        if check.decision == "create":
            # Later rows of the same firm or person merge into this first one.
            if values["email"]:
                row_emails.setdefault(values["email"], number)
            if phone:
                row_phones.setdefault(phone, number)
            for key in keys:
                row_names.add(key, number)
            row_labels[number] = values["company"]
            if domain := domain_of(values["email"]):
                row_domains[number] = {domain}
    return checks


def _find(check, index, row_emails, row_phones, row_names, row_labels) -> Match | None:
    """The best match: existing leads before earlier rows, exact contacts before names."""
    email, phone = check.values["email"], check.phone_e164
    if email and email in index.emails:
        lead_id = index.emails[email]
        return Match("email", 100, index.labels.get(lead_id, ""), lead_id=lead_id)
    if phone and phone in index.phones:
        lead_id = index.phones[phone]
        return Match("phone", 95, index.labels.get(lead_id, ""), lead_id=lead_id)
    if email and email in row_emails:
        row = row_emails[email]
        return Match("email", 100, row_labels[row], row=row)
    if phone and phone in row_phones:
        row = row_phones[phone]
        return Match("phone", 95, row_labels[row], row=row)
    best: Match | None = None
    for key in check.keys:
        found = index.names.best(key)
        if found and (best is None or found[1] > best.score):
            best = Match("company", found[1], index.labels.get(found[0], ""), lead_id=found[0])
        found = row_names.best(key)
        if found and (best is None or found[1] > best.score):
            best = Match("company", found[1], row_labels[found[0]], row=found[0])
    return best
