"""Who is signed in to the enterprise portal: one session key, checked on every portal request."""

import re
import time
from functools import wraps

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext

from core.extensions import db
from core.models import EnterpriseContact
from core.models.base import MAX_ID
from core.urls import safe_next

KEY = "portal"
NEXT_KEY = "portal_next"
# A path of the portal in any public language; nothing else may be a target after sign-in.
PORTAL_PATH = re.compile(r"^/(zh|en|de|fr)/portal/[A-Za-z0-9/_-]*$")


def _limits() -> tuple[int, int]:
    config = current_app.config
    return (
        config["PORTAL_IDLE_MINUTES"] * 60,
        config["PORTAL_MAX_HOURS"] * 3600,
    )


def start(contact: EnterpriseContact) -> None:
    """A fresh portal session for this contact; a CRM session in the same browser is untouched."""
    now = int(time.time())
    session.pop(KEY, None)
    # A new CSRF token with the new identity, so a token seen before sign-in is worth nothing.
    session.pop("csrf_token", None)
    session[KEY] = {"id": contact.id, "v": contact.session_version, "since": now, "seen": now}


def end() -> None:
    session.pop(KEY, None)
    session.pop(NEXT_KEY, None)


def _expired(state: dict, now: int) -> bool:
    idle, maximum = _limits()
    since, seen = state.get("since"), state.get("seen")
    if not isinstance(since, int) or not isinstance(seen, int):
        return True
    return now - seen > idle or now - since > maximum


def current_contact() -> EnterpriseContact | None:
    """The signed-in contact, if the session is still good; ends a session that is not."""
    state = session.get(KEY)
    if not isinstance(state, dict):
        return None
    now = int(time.time())
    contact_id, version = state.get("id"), state.get("v")
    # Only an id an integer column can hold reaches the database (a forged one is no one).
    known = isinstance(contact_id, int) and 0 < contact_id <= MAX_ID
    contact = db.session.get(EnterpriseContact, contact_id) if known else None
    if (
        contact is None
        or not contact.active
        or contact.enterprise is None
        or contact.session_version != version
        or _expired(state, now)
    ):
        session.pop(KEY, None)
        return None
    if state["seen"] != now:
        session[KEY] = {**state, "seen": now}  # a new dict: Flask notices the change
    return contact


def portal_next(target: str | None) -> str | None:
    """Only a portal path of this site (core.urls.safe_next), in the page's language."""
    path = safe_next(target)
    if path is None or not PORTAL_PATH.match(path):
        return None
    return f"/{g.lang}/" + path.split("/", 2)[2]


def portal_required(view):
    """The view runs only for a signed-in, active contact of an enterprise; others sign in."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        had_session = isinstance(session.get(KEY), dict)
        contact = current_contact()
        if contact is None:
            if had_session:
                flash(gettext("Your session has ended. Please sign in again."), "info")
            target = portal_next(request.path) if request.method == "GET" else None
            return redirect(url_for("site.portal_sign_in", next=target), code=303)
        g.portal_contact = contact
        g.actor = f"contact:{contact.id}"
        return view(*args, **kwargs)

    return wrapper
