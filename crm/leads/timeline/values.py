"""The lead's recorded fields said in words: each field's label, and its stored value (an id, a
code, an ISO date) as the reader knows it (a name, a label, a date in their zone)."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core.choices import industry_name, language_name
from core.code_names import code_name, sees_name
from core.countries import country_name
from core.extensions import db
from core.i18n import area_mu, current_language, datetime_text, money_compact
from core.models import Enterprise, Event, ImportJob, Lead, ListItem, Team, User
from core.stages import lead_stage_label
from crm.leads.forms import SOURCE_LABELS

FIELD_LABELS = {
    "company_name": _l("Company name"),
    "company_name_latin": _l("Company name in Latin letters"),
    "country": _l("Country or region"),
    "industry": _l("Industry"),
    "language": _l("Language"),
    "planned_investment": _l("Planned investment"),
    "investment_min": _l("Investment from"),
    "investment_max": _l("Investment up to"),
    "land_need_min_mu": _l("Land need from"),
    "land_need_max_mu": _l("Land need up to"),
    "owner_id": _l("Owner"),
    "team_id": _l("Team"),
    "liaison_id": _l("Liaison"),
    "source": _l("Source"),
    "event_id": _l("Event"),
    "referrer": _l("Referred by"),
    "referred_at": _l("Credited since"),
    "override_reason": _l("Reason for the credit"),
    "stage": _l("Stage"),
    "lost_reason": _l("Reason lost"),
    "lost_note": _l("Note on the loss"),
    "note": _l("Note"),
    "first_response_at": _l("First response"),
    "response_due_at": _l("First response due"),
    "last_contact_at": _l("Last contact"),
    "tags": _l("Tags"),
    "rating": _l("Rating"),
    "legal_hold": _l("Legal hold"),
    "captured_at": _l("Captured at the booth"),
    "card_photo": _l("Photo of the business card"),
    "contact": _l("Contact added"),
    "duplicate_dismissed": _l("Not a duplicate of"),
    "anonymised_at": _l("Anonymised"),
    # A contact's fields.
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "position": _l("Position"),
}
# Bookkeeping an entry carries for the timeline's own use (which import, which lead merged, the
# search the export ran), told in the entry's sentence rather than as a changed field.
NOT_SHOWN = {"import", "import_undone", "merged_lead", "query", "format", "rows"}
RATINGS = {"hot": _l("Hot"), "warm": _l("Warm"), "cold": _l("Cold")}
MONEY = {"planned_investment", "investment_min", "investment_max"}
LAND = {"land_need_min_mu", "land_need_max_mu"}
MOMENTS = {
    "referred_at",
    "first_response_at",
    "response_due_at",
    "last_contact_at",
    "captured_at",
    "anonymised_at",
}


def field_label(name: str) -> str:
    """The field's label; a field this module does not know is named as a detail, not a code."""
    return str(FIELD_LABELS.get(name, _l("Other detail")))


def user_name(user_id) -> str:
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    return user.name if user else gettext("a former user")


def lead_name(lead_id) -> str:
    """Another lead (merged, not a duplicate) by company and code name, or by its code name
    alone where it is confidential to the reader."""
    lead = db.session.get(Lead, lead_id) if isinstance(lead_id, int) else None
    if lead is None:
        return gettext("a lead no longer held")
    if not sees_name(lead, current_user):
        return code_name(lead)
    return f"{lead.company_name} ({code_name(lead)})"


def import_name(job_id) -> str:
    job = db.session.get(ImportJob, job_id) if isinstance(job_id, int) else None
    if job is None:
        return gettext("an import")
    return gettext("import #%(id)s (%(file)s)", id=job.id, file=job.filename)


def firm_name(enterprise_id) -> str:
    firm = db.session.get(Enterprise, enterprise_id) if isinstance(enterprise_id, int) else None
    return firm.display_name(current_language()) if firm else gettext("a former enterprise")


def _list_label(kind: str, code: str) -> str:
    item = db.session.scalar(select(ListItem).where(ListItem.kind == kind, ListItem.code == code))
    return item.label(current_language()) if item else code


def _industry(code: str) -> str:
    name = industry_name(code)
    return _list_label("industry", code) if name == code else name


def _moment(value) -> str:
    try:
        return datetime_text(datetime.fromisoformat(value), "short")
    except (TypeError, ValueError):
        return str(value)


def _amount(value, unit) -> str:
    try:
        return unit(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def _event(event_id) -> str:
    event = db.session.get(Event, event_id) if isinstance(event_id, int) else None
    return event.text("name", current_language()) if event else gettext("a former event")


def _team(team_id) -> str:
    team = db.session.get(Team, team_id) if isinstance(team_id, int) else None
    return team.label if team else gettext("a former team")


BY_FIELD = {
    "owner_id": user_name,
    "liaison_id": user_name,
    "team_id": _team,
    "event_id": _event,
    "referrer": firm_name,
    "duplicate_dismissed": lead_name,
    "country": lambda code: country_name(code),
    "industry": _industry,
    "language": lambda code: language_name(code),
    "source": lambda code: str(SOURCE_LABELS.get(code, _l("Other source"))),
    "stage": lead_stage_label,
    "lost_reason": lambda code: _list_label("lost_reason", code),
    "rating": lambda code: str(RATINGS.get(code, code)),
    "tags": lambda tags: ", ".join(tags) if isinstance(tags, list) else str(tags),
    "legal_hold": lambda held: gettext("yes") if held else gettext("no"),
}


def shown(name: str, value) -> str:
    """A stored value of a field as the reader knows it; nothing is a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if name in BY_FIELD:
        return BY_FIELD[name](value)
    if name in MONEY:
        return _amount(value, money_compact)
    if name in LAND:
        return _amount(value, area_mu)
    if name in MOMENTS:
        return _moment(value)
    return str(value)


def change_lines(changes: dict) -> list[str]:
    """One line per changed field: "Industry: Machinery → Chemicals", or the value set."""
    lines = []
    for name, pair in changes.items():
        if name in NOT_SHOWN or not isinstance(pair, list) or len(pair) != 2:
            continue
        old, new = pair
        label = field_label(name)
        if old in (None, "", []):
            lines.append(gettext("%(field)s: %(new)s", field=label, new=shown(name, new)))
        else:
            lines.append(
                gettext(
                    "%(field)s: %(old)s → %(new)s",
                    field=label,
                    old=shown(name, old),
                    new=shown(name, new),
                )
            )
    return lines
