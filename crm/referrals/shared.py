"""What the referral queue and a referral's page show alike: labels, status, team, ids."""

from flask import current_app, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from core.choices import industry_name
from core.countries import country_name
from core.models import Referral
from core.models.base import MAX_ID
from core.referral_status import REASON_LABELS, status, status_label

ORIGIN_LABELS = {"portal": _l("Enterprise portal"), "link": _l("Referral link")}
DECISION_LABELS = {
    "submitted": _l("Waiting for a decision"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
}


def number(text: str) -> int | None:
    """A positive id typed or sent in a URL; None for anything else (²: isdigit but no int)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    return int(text) if 0 < int(text) <= MAX_ID else None


def optional_url(endpoint: str, **values) -> str | None:
    # The enterprise pages are built as a separate feature: link to them only once they exist.
    if endpoint in current_app.view_functions:
        return url_for(endpoint, **values)
    return None


def shown_status(referral: Referral) -> str:
    """The decision, and for accepted referrals how far the lead got as the referrer sees it."""
    if referral.decision == "accepted":
        return f"{DECISION_LABELS['accepted']} · {status_label(status(referral))}"
    if referral.decision == "declined" and referral.decline_reason:
        reason = REASON_LABELS.get(referral.decline_reason, referral.decline_reason)
        return f"{DECISION_LABELS['declined']}: {reason}"
    return str(DECISION_LABELS.get(referral.decision, referral.decision))


def team_name(referral: Referral) -> str:
    """The team a referral waits (or waited) with; undecided without one: the shared inbox."""
    if referral.team is not None:
        return referral.team.label
    return gettext("Shared inbox") if referral.decision == "submitted" else "—"


def template_helpers() -> dict:
    return {
        "team_name": team_name,
        "country_name": country_name,
        "industry_name": industry_name,
        "origin_labels": ORIGIN_LABELS,
        "shown_status": shown_status,
        "enterprise_url": lambda e: optional_url("crm.enterprises.enterprise", enterprise_id=e.id),
    }
