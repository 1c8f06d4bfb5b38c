"""What the pipeline's views and templates share: stage labels, choice lists, form parsing."""

from flask import g, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from core.extensions import db
from core.leads import needs_liaison
from core.models import LEAD_STAGES, Lead, ListItem, User
from crm.permissions import allowed, can

STAGE_LABELS = {
    "new": _l("New"),
    "contacted": _l("Contacted"),
    "qualified": _l("Qualified"),
    "site_visit": _l("Site visit"),
    "negotiation": _l("Negotiation"),
    "signed": _l("Signed"),
    "lost": _l("Lost"),
}
NOTE_MAX = 2000


def stage_label(stage: str) -> str:
    return str(STAGE_LABELS.get(stage, stage))


def stage_options() -> list[tuple[str, str]]:
    return _cached("_pipeline_stages", lambda: [(code, stage_label(code)) for code in LEAD_STAGES])


def lead_name(lead: Lead) -> str:
    """County leaders see the confidential code name, everyone else the company."""
    if current_user.is_authenticated and current_user.role == "leader":
        return lead.code_name or gettext("Lead %(id)s", id=lead.id)
    return lead.company_name


def _cached(key: str, load):
    # Cards and panels ask for the same lists many times per page: one query each per request.
    if key not in g:
        setattr(g, key, load())
    return g.get(key)


def lost_reasons() -> list[ListItem]:
    return _cached(
        "_pipeline_lost_reasons",
        lambda: db.session.scalars(
            select(ListItem)
            .where(ListItem.kind == "lost_reason", ListItem.active.is_(True))
            .order_by(ListItem.position, ListItem.id)
        ).all(),
    )


def active_staff(role: str) -> list[User]:
    return _cached(
        f"_pipeline_{role}s",
        lambda: db.session.scalars(
            select(User)
            .options(joinedload(User.team))
            .where(User.role == role, User.active.is_(True))
            .order_by(User.name)
        ).all(),
    )


def parse_int(value) -> int | None:
    """A positive integer from a form or query string, or None for anything else."""
    text = (value or "").strip()
    if not text.isdigit() or len(text) > 12:
        return None
    return int(text)


def safe_next(target: str | None = None, default_endpoint: str = "crm.pipeline.board") -> str:
    """Where to go after a form: our own CRM path from the form, else the default page."""
    target = request.form.get("next", "") if target is None else target
    if target.startswith("/crm/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for(default_endpoint)


def wants_json() -> bool:
    """board.js asks for JSON; a plain form submit gets a page."""
    return request.accept_mimetypes.best == "application/json"


def optional_url(endpoint: str, **values) -> str | None:
    """A link to a page another part of the CRM provides, or None while it does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def template_helpers() -> dict:
    """What the pipeline partials need besides lead, current_user and csrf_token()."""
    return {
        "pipeline": {
            "stage_options": stage_options,
            "stage_label": stage_label,
            "lead_name": lead_name,
            "lost_reasons": lost_reasons,
            "officers": lambda: active_staff("officer"),
            "leaders": lambda: active_staff("leader"),
            "can": can,
            "allowed": allowed,
            "needs_liaison": needs_liaison,
            "lang": lambda: g.get("lang", "zh"),
            "url": optional_url,
        }
    }
