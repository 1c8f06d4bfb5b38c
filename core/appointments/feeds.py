"""A staff member's personal calendar feed: a secret address calendar apps subscribe to. Only the
secret's SHA-256 is stored; a new one replaces the old, and turning the feed off removes it."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from core.appointments import calendar_of, ics
from core.audit import record
from core.code_names import shown_name
from core.extensions import db
from core.models import User
from core.models.base import utcnow

# What a subscribed calendar holds: the past few months for reference, and what is coming.
PAST = timedelta(days=90)
AHEAD = timedelta(days=365)
TOKEN_BYTES = 32


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(user: User) -> str:
    """A fresh secret for the user's feed (the old address stops working); shown once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    had = user.calendar_feed_hash is not None
    user.calendar_feed_hash = _hash(token)
    record("update", user, {"calendar_feed": ["on" if had else None, "new address"]})
    return token


def revoke(user: User) -> None:
    if user.calendar_feed_hash is not None:
        user.calendar_feed_hash = None
        record("update", user, {"calendar_feed": ["on", None]})


def owner_of(token: str) -> User | None:
    """The active user whose feed this secret opens, or None (a wrong, old or garbled one)."""
    if not token or len(token) > 100:
        return None
    user = db.session.scalar(select(User).where(User.calendar_feed_hash == _hash(token)))
    return user if user is not None and user.active else None


def feed_of(user: User, name: str) -> str:
    now = utcnow()
    appointments = calendar_of(user, now - PAST, now + AHEAD, cancelled=True)
    return ics.feed(((a, shown_name(a.lead, user)) for a in appointments), name)
