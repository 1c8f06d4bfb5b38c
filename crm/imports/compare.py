"""A row of the file beside its proposed match, field by field: what agrees, what differs, why."""

import re
from dataclasses import dataclass

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.countries import country_name
from core.extensions import db
from core.i18n import current_language
from core.matching import normalise_company
from core.models import Lead
from core.stages import lead_stage_label

FIELD_LABELS = (
    ("company", _l("Company (Chinese)")),
    ("company_latin", _l("Company (Latin)")),
    ("contact", _l("Contact")),
    ("email", _l("Email")),
    ("phone", _l("Phone")),
    ("country", _l("Country")),
    ("stage", _l("Stage")),
    ("owner", _l("Owner")),
    ("event", _l("Event")),
)
# Fields whose two sides are compared; stage, owner and event only inform.
COMPARED = ("company", "company_latin", "contact", "email", "phone", "country")
# The last digits of a phone decide: "028-8765 4321" and "+86 28 8765 4321" are one line.
PHONE_DIGITS = 8
_NOT_DIGIT = re.compile(r"\D")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass
class Line:
    key: str
    label: str
    mine: str
    theirs: str
    verdict: str  # same | differs | "" (one side empty, or not compared)


@dataclass
class Comparison:
    lines: list[Line]
    reasons: list[str]
    lead_id: int | None = None  # the lead compared with, when the user may open it
    hidden: bool = False  # a lead the user may not see: only its name is shown


def _phone_key(phone: str) -> str:
    digits = _NOT_DIGIT.sub("", phone or "")
    return digits[-PHONE_DIGITS:] if len(digits) >= PHONE_DIGITS else digits


def _verdict(key: str, mine: str, theirs: str) -> str:
    if key not in COMPARED or not mine or not theirs:
        return ""
    if key in ("company", "company_latin"):
        same = normalise_company(mine) == normalise_company(theirs)
    elif key == "phone":
        same = _phone_key(mine) == _phone_key(theirs)
    else:
        same = mine.strip().casefold() == theirs.strip().casefold()
    return "same" if same else "differs"


def _by_script(*names: str | None) -> dict[str, str]:
    """The firm's names as the Chinese one and the Latin one, whichever field held which (a lead
    filed under its English name has no Chinese one)."""
    found = {"company": "", "company_latin": ""}
    for name in filter(None, names):
        key = "company" if _CJK.search(name) else "company_latin"
        found[key] = found[key] or name
    return found


def _row_side(values: dict, lang: str, job) -> dict[str, str]:
    return _by_script(values.get("company"), values.get("company_latin")) | {
        "contact": values.get("contact_name", ""),
        "email": values.get("email", ""),
        "phone": values.get("phone", ""),
        "country": country_name(values["country"], lang) if values.get("country") else "",
        "stage": gettext("New (this import)"),
        "owner": "",
        "event": job.event.text("name", lang) if job.event else "",
    }


def _contact_of(lead: Lead, values: dict):
    """The lead's contact most like the row's (same email, then phone), else its first."""
    phone = _phone_key(values.get("phone", ""))
    email = (values.get("email") or "").casefold()
    for contact in lead.contacts:
        if email and (contact.email or "").casefold() == email:
            return contact
    for contact in lead.contacts:
        if phone and _phone_key(contact.phone or "") == phone:
            return contact
    return lead.contacts[0] if lead.contacts else None


def _lead_side(lead: Lead, values: dict, lang: str) -> dict[str, str]:
    contact = _contact_of(lead, values)
    return _by_script(lead.company_name, lead.company_name_latin) | {
        "contact": contact.name if contact else "",
        "email": (contact.email or "") if contact else "",
        "phone": (contact.phone or "") if contact else "",
        "country": country_name(lead.country, lang) if lead.country else "",
        "stage": lead_stage_label(lead.stage),
        "owner": lead.owner.name if lead.owner else "",
        "event": lead.event.text("name", lang) if lead.event else "",
    }


def reasons_of(check) -> list[str]:
    """Why the row was matched and what the import will do, in words."""
    match = check.match
    if match is None:
        return []
    # The matcher's reasons in words (the brand, the domains, the phone), or the person's choice.
    found = [gettext("You pointed this row here.")] if match.reason == "chosen" else match.texts
    if check.no_merge:
        found.append(
            gettext(
                "You may not change this lead: the row becomes a new lead, flagged as a "
                "possible duplicate for the lead's owner."
            )
        )
    return found


def compare(rows, checks, job, visible: set[int]) -> dict[int, Comparison]:
    """Row number -> its comparison, for those of `rows` (a page of `checks`, the whole file)
    with a match; their leads loaded in one query."""
    lang = current_language()
    by_number = {c.number: c for c in checks}
    ids = {c.match.lead_id for c in rows if c.match and c.match.lead_id in visible}
    leads = {}
    if ids:
        leads = {
            lead.id: lead
            for lead in db.session.scalars(
                select(Lead)
                .where(Lead.id.in_(ids))
                .options(
                    selectinload(Lead.contacts),
                    selectinload(Lead.owner),
                    selectinload(Lead.event),
                )
            )
        }
    found = {}
    for check in rows:
        match = check.match
        if match is None:
            continue
        mine = _row_side(check.values, lang, job)
        hidden = False
        if match.lead_id:
            lead = leads.get(match.lead_id)
            hidden = lead is None
            theirs = _lead_side(lead, check.values, lang) if lead else _by_script(match.label)
        else:
            other = by_number.get(match.row)
            theirs = _row_side(other.values, lang, job) if other else _by_script(match.label)
        lines = [
            Line(key, str(label), mine.get(key, ""), theirs.get(key, ""), "")
            for key, label in FIELD_LABELS
        ]
        for line in lines:
            line.verdict = _verdict(line.key, line.mine, line.theirs)
        found[check.number] = Comparison(
            lines, reasons_of(check), lead_id=None if hidden else match.lead_id, hidden=hidden
        )
    return found
