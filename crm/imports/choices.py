"""A person's choice for one row of the review: which choices a row offers, whether a pointed-at
row or lead can take it, storing it, and remembering a "different firm" pair."""

from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from core.extensions import db
from core.firm_pairs import remember_different
from core.imports import allowed_decisions
from core.imports.jobs import pointed_at
from core.matching import normalise_company
from core.models import Lead
from crm.permissions import can


def stored_choice(job, check) -> str:
    """The row's choice: where it is pointed ("row:3", "lead:42") if that still holds (the lead
    may have gone, or its owner changed), else its decision ("create", "skip"...)."""
    stored = (job.decisions or {}).get(str(check.number))
    held = check.match is not None and check.match.reason == "chosen"
    return stored if held and pointed_at(stored) else check.decision


def plain_choices(check) -> list[str]:
    """The choices other than pointing: a row already pointed elsewhere may still be created or
    skipped (merging into, or parting from, the pointed-at target is what pointing says)."""
    if check.match is not None and check.match.reason == "chosen":
        return ["create", "skip"]
    return allowed_decisions(check)


def options(job, check) -> list[str]:
    """The choices the review's list offers for this row (pointing elsewhere: on its own page)."""
    pointed = [stored_choice(job, check)] if pointed_at(stored_choice(job, check)) else []
    return pointed + plain_choices(check)


def refusal(value: str, check, checks) -> str | None:
    """Why the row cannot take this choice (in words), or None when it can."""
    target = pointed_at(value)
    if target is None:
        if value == check.default or value in plain_choices(check):
            return None
        return gettext("This choice is not open for row %(row)d.", row=check.number)
    kind, number = target
    if kind == "row":
        other = next((c for c in checks if c.number == number), None)
        if other is None or other is check:
            return gettext(
                "Row %(row)d cannot be merged into row %(other)d: choose another row of this file.",
                row=check.number,
                other=number,
            )
        if other.blocking:
            return gettext(
                "Row %(other)d has problems and will not be imported: it cannot take row %(row)d.",
                row=check.number,
                other=number,
            )
        return None
    lead = db.session.scalar(select(Lead).where(Lead.id == number, Lead.merged_into_id.is_(None)))
    if lead is None or not can("lead.view", lead) or not can("lead.edit", lead):
        return gettext("You may not merge rows into that lead, or it no longer exists.")
    return None


def _keys(*names: str | None) -> list[str]:
    """A firm's company keys, one per name it goes by (Chinese, Latin), without repeats."""
    return list(dict.fromkeys(k for k in map(normalise_company, filter(None, names)) if k))


def _keys_of_match(check, checks) -> tuple[list[str], int | None]:
    match = check.match
    if match.lead_id:
        lead = db.session.get(Lead, match.lead_id)
        if lead is None:
            return _keys(match.label), match.lead_id
        keys = _keys(lead.company_name, lead.company_name_latin)
        if lead.company_key:
            keys = list(dict.fromkeys([lead.company_key, *keys]))
        return keys, match.lead_id
    other = next((c for c in checks if c.number == match.row), None)
    if other is None:
        return _keys(match.label), None
    return _keys(other.values.get("company"), other.values.get("company_latin")), None


def store(job, check, value: str, checks, changed: tuple[dict, dict]) -> None:
    """Keep the row's choice in job.decisions (a default is not stored) and note the change in
    `changed` (before, after) for the one audit entry; remember a "different firm" pair."""
    key = str(check.number)
    decisions = dict(job.decisions or {})
    old = decisions.get(key, check.default)
    if value == check.default:
        decisions.pop(key, None)
    else:
        decisions[key] = value
    if old == value:
        return
    changed[0][key], changed[1][key] = old, value
    job.decisions = decisions
    if value == "different" and check.match is not None:
        # Every name of one firm against every name of the other: whichever the matcher
        # compares next time, it knows.
        theirs, lead_id = _keys_of_match(check, checks)
        user = current_user._get_current_object()
        for mine in _keys(check.values.get("company"), check.values.get("company_latin")):
            for key in theirs:
                remember_different(mine, key, user=user, lead_ids=(None, lead_id))
