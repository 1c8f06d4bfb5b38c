"""Checking rows before anything is written: values cleaned, problems named, matches found."""

import re
from dataclasses import dataclass, field

from flask_babel import gettext

from core.imports.index import LeadIndex
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
from core.matching.candidates import FirmIndex
from core.matching.scoring import MARKED_DIFFERENT, MERGE, SUGGEST, Firm, Verdict, reason_text

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

    reason: str  # email | phone | company: the strongest agreement, for the duplicate flags
    score: int
    label: str  # the company as shown to the user
    lead_id: int | None = None
    row: int | None = None
    # merge: the default action; suggest: shown for a person to decide; different: a person
    # said these are two firms (core.matching.scoring).
    outcome: str = SUGGEST
    reasons: list[dict] = field(default_factory=list)  # Reason.as_dict(), said by texts

    @property
    def strong(self) -> bool:
        return self.outcome == MERGE

    @property
    def other_domain(self) -> bool:
        """The two sides write from different firms' mail domains (one of the reasons)."""
        return any(reason.get("code") == "other_domain" for reason in self.reasons)

    @property
    def texts(self) -> list[str]:
        return [reason_text(reason) for reason in self.reasons]


def _match(verdict: Verdict, label: str, **target) -> Match:
    codes = {reason.code for reason in verdict.reasons}
    kind = "email" if "same_email" in codes else "phone" if "same_phone" in codes else "company"
    return Match(
        kind,
        verdict.score,
        label,
        outcome=verdict.outcome,
        reasons=[reason.as_dict() for reason in verdict.reasons],
        **target,
    )


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
    rows = FirmIndex(index.firms.known_different)
    checks: list[RowCheck] = []
    for number, raw in _gather(table, mapping):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
        values, problems, blocking, phone = _clean(raw, default_country, industries)
        names = (values["company"], values["company_latin"])
        keys = tuple(dict.fromkeys(k for k in map(normalise_company, names) if k))
        check = RowCheck(number, values, problems, blocking=blocking, phone_e164=phone, keys=keys)
        checks.append(check)
        if blocking:
            check.decision = "reject"
            continue
        latin = values["company_latin"] if values["company_latin"] != values["company"] else ""
        firm = Firm(
            values["company"],
            latin,
            values["country"] or None,
            (values["email"],) if values["email"] else (),
            (phone,) if phone else (),
            number,
        )
        check.match = _find(firm, index, rows, checks)
        check.decision = "merge" if check.match and check.match.strong else "create"
        if check.match and check.match.outcome == MARKED_DIFFERENT:
            check.decision = "different"  # said before: created, not flagged again
        rows.add(firm)
    return checks


def _find(firm: Firm, index: LeadIndex, rows: FirmIndex, checks: list[RowCheck]) -> Match | None:
    """The best match: merges before suggestions, existing leads before earlier rows.

    A row merged into a lead takes the earlier rows of its firm with it, and a row that is one
    firm with an earlier row goes where that row goes (the same lead, or the row first created).
    """
    lead = None
    if found := index.firms.matches(firm, limit=1):
        other, verdict = found[0]
        lead = _match(verdict, index.labels.get(other.ref, ""), lead_id=other.ref)
    earlier = rows.matches(firm)
    if lead is not None and lead.strong:
        for other, verdict in earlier:
            before = checks[other.ref - 1]
            if verdict.outcome == MERGE and before.decision == "create":
                before.match = _match(verdict, lead.label, lead_id=lead.lead_id)
                before.decision = "merge"
        return lead
    if earlier:
        other, verdict = earlier[0]
        before = checks[other.ref - 1]
        if before.decision == "merge" and before.match is not None:
            target = {"lead_id": before.match.lead_id, "row": before.match.row}
            found = _match(verdict, before.match.label, **target)
        else:
            found = _match(verdict, before.values["company"], row=other.ref)
        if found.strong or lead is None:
            return found
    return lead
