"""Where an anonymised person was copied beyond their lead's own rows (the audit trail, mails not
tied to the lead, list exports and saved searches, their project's files), and writing them out."""

import re
from urllib.parse import parse_qsl, urlencode

import phonenumbers
from sqlalchemy import func, or_, select

from core.extensions import db
from core.matching import normalise_phone
from core.models import (
    ActionItem,
    ApprovalStep,
    AuditEntry,
    DeadlineExtension,
    Export,
    Meeting,
    OutboxEmail,
    Project,
    ProjectIssue,
    ProjectMilestone,
    SavedFilter,
    export_lead,
)

ANONYMISED = "(anonymised)"
# Audit values under these keys can name a person: anonymising blanks them whatever they hold.
PERSONAL_FIELDS = frozenset(
    {
        "name", "email", "phone", "position", "company_name", "company_name_latin", "message",
        "utm", "referral_code", "lost_note", "subject", "body", "note", "to_address",
        "card_photo", "contact", "contact_name", "contact_email", "contact_phone", "plans",
        "how_known", "decline_message", "title", "place", "agenda", "outcome", "reason", "mobile",
        "wechat_id",
    }
)  # fmt: skip
_SEPARATORS = re.compile(r"[\s_.\-]+")
_CJK = re.compile(r"[\u3400-\u9fff]")


def folded_text(text: str) -> str:
    """Case and separators do not matter: "Anna_Müller.csv" mentions "anna müller"."""
    return _SEPARATORS.sub(" ", text.casefold()).strip()


def _long_enough(word: str) -> bool:
    # A two-character Chinese name is a whole name; a short Latin word is anyone's.
    return len(word) >= (2 if _CJK.search(word) else 4)


class Person:
    """The identifiers of the people of anonymised leads: names (and each longer word of them),
    email addresses (and longer mailbox names), phones as stored, in E.164 and national form,
    and company names."""

    def __init__(self, companies=(), contacts=(), country: str | None = None):
        words: set[str] = {c for c in companies if c}
        for contact in contacts:
            words |= {contact.name or "", contact.email or "", contact.phone or ""}
            words |= {
                getattr(contact, "wechat_id", None) or "",
                getattr(contact, "mobile", None) or "",
            }
            words |= set((contact.name or "").split())
            # A mailbox name long enough to be a person's, for their address mistyped elsewhere.
            mailbox = (contact.email or "").partition("@")[0]
            words |= {mailbox} if len(mailbox) >= 6 else set()
            words |= set(_phone_forms(contact.phone, country))
            words |= set(_phone_forms(getattr(contact, "mobile", None), country))
        self.needles = sorted(
            {w.strip() for w in words if w and _long_enough(w.strip()) and w != ANONYMISED},
            key=len,
            reverse=True,
        )
        self._folded = [folded_text(n) for n in self.needles]
        self._pattern = (
            re.compile("|".join(map(re.escape, self.needles)), re.IGNORECASE)
            if self.needles
            else None
        )

    def __bool__(self) -> bool:
        return bool(self.needles)

    def mentions(self, text, folded: bool = False) -> bool:
        """Whether text names them; folded=True for text already passed through folded()."""
        if not text or not self.needles:
            return False
        text = str(text) if folded else folded_text(str(text))
        return any(needle in text for needle in self._folded)

    def scrub(self, text):
        """The text with the person's identifiers replaced; all of it if they hide in another
        spelling (separators, case) that the replacement does not catch."""
        if not isinstance(text, str) or not self.mentions(text):
            return text
        text = self._pattern.sub(ANONYMISED, text)
        return ANONYMISED if self.mentions(text) else text

    def scrub_value(self, value):
        """scrub() through JSON: strings in lists and dicts, keys left as they are."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, list):
            return [self.scrub_value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.scrub_value(v) for k, v in value.items()}
        return value

    def in_sql(self, *columns):
        """A WHERE clause for rows whose columns may hold an identifier as written."""
        return or_(
            *(
                func.lower(column).contains(needle.lower(), autoescape=True)
                for column in columns
                for needle in self.needles
            )
        )


def _phone_forms(phone: str | None, country: str | None) -> list[str]:
    e164 = normalise_phone(phone, country)
    if not e164:
        return []
    national = phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    return [e164, e164[1:], national, re.sub(r"\D", "", national)]


def scrub_audit(person: Person, entities: dict[str, list[int]]) -> None:
    """Entries about the person's records keep who, when and what action; the personal values
    go (blanked under PERSONAL_FIELDS, identifiers replaced anywhere else)."""
    clauses = [
        (AuditEntry.entity_type == kind) & AuditEntry.entity_id.in_(ids)
        for kind, ids in entities.items()
        if ids
    ]
    if not clauses:
        return
    for entry in db.session.scalars(select(AuditEntry).where(or_(*clauses))):
        changes = {
            key: [ANONYMISED, ANONYMISED] if key in PERSONAL_FIELDS else person.scrub_value(pair)
            for key, pair in (entry.changes or {}).items()
        }
        if changes != entry.changes:
            entry.changes = changes


def scrub_rows(person: Person, model, columns: tuple[str, ...], *where) -> list:
    """Replace the person's identifiers in these text columns of the rows chosen; the rows."""
    if not person:
        return []
    rows = list(
        db.session.scalars(
            select(model).where(*where, person.in_sql(*(getattr(model, c) for c in columns)))
        )
    )
    for row in rows:
        for column in columns:
            setattr(row, column, person.scrub(getattr(row, column)))
    return rows


# The files of a signed lead's project: texts staff wrote, which may name the investor's people.
PROJECT_TEXTS = (
    (Meeting, ("title", "minutes", "decisions")),
    (ActionItem, ("text", "owner_name")),
    (ProjectIssue, ("description", "resolution")),
    (ApprovalStep, ("notes",)),
    (DeadlineExtension, ("reason",)),
    (ProjectMilestone, ("reference",)),
)


def scrub_elsewhere(person: Person, lead_ids: list[int]) -> None:
    """Mails not tied to the lead (a referral's notice to the bureau, staff digests), list
    exports that held the lead, saved searches, and the lead's project."""
    if not person:
        return
    scrub_rows(person, OutboxEmail, ("subject", "body_text"), OutboxEmail.lead_id.is_(None))
    exports = select(export_lead.c.export_id).where(export_lead.c.lead_id.in_(lead_ids))
    for export in db.session.scalars(select(Export).where(Export.id.in_(exports))):
        export.query = _scrub_query(person, export.query)
    for saved in db.session.scalars(select(SavedFilter)):
        query = _scrub_query(person, saved.query)
        if query != saved.query or person.mentions(saved.name):
            saved.query, saved.name = query, person.scrub(saved.name)
    projects = list(db.session.scalars(select(Project.id).where(Project.lead_id.in_(lead_ids))))
    if not projects:
        return
    touched: dict[str, list[int]] = {}
    for model, columns in PROJECT_TEXTS:
        rows = scrub_rows(person, model, columns, model.project_id.in_(projects))
        touched[model.__name__] = [row.id for row in rows]
    scrub_audit(person, touched)


def _scrub_query(person: Person, query: str) -> str:
    """A filter kept as a URL query: the search words are encoded, so decode them first."""
    pairs = parse_qsl(query or "", keep_blank_values=True)
    if not any(person.mentions(value) for _, value in pairs):
        return query
    return urlencode([(key, person.scrub(value)) for key, value in pairs])
