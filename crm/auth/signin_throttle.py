"""Sign-in throttling that an attacker cannot turn into a lockout, and the owner's warning mail.

Every counter lives in the limiter's storage (Redis in production), so all workers share them:

- per address, every sign-in POST: LOGIN_RATE_LIMIT, the limiter's decorators on the views;
- per account and address, failed passwords or codes: LOGIN_ACCOUNT_IP_LIMIT, a hard limit;
  past it that address waits out the window, whatever the browser;
- per account from anywhere: LOGIN_ACCOUNT_LIMIT. Past it the account is not locked. A browser
  that signed in to it before (a known device: a signed cookie set after a complete sign-in)
  goes on as usual; other browsers get a "try again in N seconds" answer, never a sleeping
  worker. The pause doubles with each further failure up to LOGIN_PAUSE_MAX_SECONDS and stays
  armed while failures keep coming within the window, so a steady attack gets about one guess
  per pause. Crossing the threshold mails the owner, at most once an hour.

A step is "password" (the account is the address typed, known or not: the throttle itself tells
nothing) or "code" (the account is the user id; whoever reaches it knew the password).
"""

import hashlib
import logging
import math
import secrets
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import limits
from babel.dates import format_datetime
from flask import current_app, render_template, request
from flask_babel import force_locale, gettext, ngettext
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from core import outbox, throttle
from core.audit import record
from core.extensions import db, limiter
from core.i18n import LANGUAGES
from core.models import AuditEntry, User

log = logging.getLogger(__name__)

PAUSE_FIRST_SECONDS = 2
NOTICE_SECONDS = 3600  # at most one warning mail per account and step in this time
NOTICE_ADDRESSES = 5  # addresses named in the warning
DEVICE_SALT = "crm.known-device"
FAILED = "sign_in_failed"  # the audit action of a wrong password or code for a known account


def _storage():
    # Shared by every worker (Redis); in this process's memory while Redis is unreachable.
    return throttle.storage()


def _key(kind: str, *parts) -> str:
    return "crm-signin/" + kind + "/" + "/".join(str(part) for part in parts)


def _account(step: str, account: str) -> str:
    """A fixed-length name for the account: typed addresses never shape or leak into keys."""
    return hashlib.sha256(f"{step}:{account}".encode()).hexdigest()[:32]


def _limit(setting: str) -> limits.RateLimitItem:
    return limits.parse(current_app.config[setting])


def _seconds_left(key: str) -> int:
    if not _storage().get(key):
        return 0
    return max(1, math.ceil(_storage().get_expiry(key) - time.time()))


def throttled_message(minutes: int) -> str:
    return ngettext(
        "Too many failed attempts. For your security, please wait %(num)s minute and try again.",
        "Too many failed attempts. For your security, please wait %(num)s minutes and try again.",
        minutes,
    )


def paused_message(seconds: int) -> str:
    return ngettext(
        "Too many failed sign-ins for this account. Please wait %(num)s second and try again.",
        "Too many failed sign-ins for this account. Please wait %(num)s seconds and try again.",
        seconds,
    )


# --- hard limits on one key: reset links per address, failures per account and address


def blocked_minutes(kind: str, who: str, setting: str = "LOGIN_ACCOUNT_LIMIT") -> int:
    """0 while attempts are allowed, else the minutes until the window ends."""
    if not limiter.enabled:
        return 0
    key = _key("hard", kind, who)
    if _storage().get(key) < _limit(setting).amount:
        return 0
    return math.ceil(_seconds_left(key) / 60)


def count_failure(kind: str, who: str, setting: str = "LOGIN_ACCOUNT_LIMIT") -> int:
    """Count one more attempt; the count in the current window."""
    if not limiter.enabled:
        return 0
    return _storage().incr(_key("hard", kind, who), _limit(setting).get_expiry())


# --- known devices


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=DEVICE_SALT)


def _cookie_name() -> str:
    # __Secure- needs the Secure flag, which production sets; the cookie is only for /crm.
    return "__Secure-crm-device" if current_app.config["SESSION_COOKIE_SECURE"] else "crm-device"


def _device() -> dict:
    raw = request.cookies.get(_cookie_name())
    if not raw or len(raw) > 500:
        return {}
    try:
        data = _devices().loads(raw, max_age=current_app.config["LOGIN_DEVICE_DAYS"] * 86400)
    except BadSignature:
        return {}
    return data if isinstance(data, dict) and isinstance(data.get("u"), int) else {}


def known_device(user: User | None) -> bool:
    return user is not None and _device().get("u") == user.id


def remember_device(response, user: User):
    """After a complete sign-in: this browser is known for the user (the same id if it was)."""
    device = _device()
    device_id = device.get("d") if device.get("u") == user.id else None
    data = {"u": user.id, "d": device_id or secrets.token_urlsafe(12)}
    config = current_app.config
    response.set_cookie(
        _cookie_name(),
        _devices().dumps(data),
        max_age=config["LOGIN_DEVICE_DAYS"] * 86400,
        path="/crm",
        secure=config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite=config["SESSION_COOKIE_SAMESITE"],
    )
    return response


# --- the attempt: refused before checking, or counted after failing


def refusal(step: str, account: str, user: User | None) -> tuple[str, int] | None:
    """(message, seconds to wait) when this attempt is refused before it is checked, else None."""
    if not limiter.enabled:
        return None
    who = _account(step, account)
    minutes = blocked_minutes(step, f"{who}/{request.remote_addr}", "LOGIN_ACCOUNT_IP_LIMIT")
    if minutes:
        log.warning("login throttled step=%s ip=%s", step, request.remote_addr)
        return throttled_message(minutes), minutes * 60
    if known_device(user):
        return None
    seconds = _seconds_left(_key("pause", who))
    if seconds:
        log.warning("login paused step=%s ip=%s wait=%ss", step, request.remote_addr, seconds)
        return paused_message(seconds), seconds
    return None


def record_failure(step: str, account: str, user: User | None) -> None:
    """Count a wrong password or code; past the threshold, pause unknown devices, warn the owner.

    A known account's failure goes to its audit trail (step and address: the warning lists the
    addresses from there) and is committed here; a warning is sent once the answer is out.
    """
    if user is not None:
        record(FAILED, user, {"step": [None, step], "ip": [None, request.remote_addr]})
        db.session.commit()
    if not limiter.enabled:
        return
    who, storage = _account(step, account), _storage()
    count_failure(step, f"{who}/{request.remote_addr}", "LOGIN_ACCOUNT_IP_LIMIT")
    threshold = _limit("LOGIN_ACCOUNT_LIMIT")
    window = threshold.get_expiry()
    failures = storage.incr(_key("failures", who), window)
    level_key = _key("level", who)
    level = storage.get(level_key)
    if failures <= threshold.amount and not level:
        return
    # Re-arming the level for a whole window keeps a steady attack at the longest pause.
    level = min(level + 1, 30)
    storage.clear(level_key)
    storage.incr(level_key, window, amount=level)
    pause = min(current_app.config["LOGIN_PAUSE_MAX_SECONDS"], PAUSE_FIRST_SECONDS << (level - 1))
    storage.clear(_key("pause", who))
    storage.incr(_key("pause", who), pause)
    log.warning("login failures past the account limit step=%s failures=%s", step, failures)
    if user is not None and user.active and storage.incr(_key("notice", who), NOTICE_SECONDS) == 1:
        since = storage.get_expiry(_key("failures", who)) - window
        _send_notice(step, user, failures, since, _addresses(user, since))


def _addresses(user: User, since: float) -> list[str]:
    """The first few addresses the failures came from since the window began."""
    entries = db.session.scalars(
        select(AuditEntry.changes)
        .where(
            AuditEntry.entity_type == "User",
            AuditEntry.entity_id == user.id,
            AuditEntry.action == FAILED,
            AuditEntry.at >= datetime.fromtimestamp(math.floor(since), UTC),
        )
        .order_by(AuditEntry.id)
    )
    found: list[str] = []
    for changes in entries:
        address = (changes.get("ip") or [None, None])[1]
        if address and address not in found:
            found.append(address)
    return found[:NOTICE_ADDRESSES]


def _send_notice(step: str, user: User, failures: int, since: float, addresses: list[str]):
    """The warning mail, in the owner's language and time zone; never a password or code."""
    lang = user.language if user.language in LANGUAGES else "zh"
    try:
        zone = ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])

    def when(moment: float) -> str:
        return format_datetime(moment, "short", tzinfo=zone, locale=lang)

    with force_locale(lang):
        subject = gettext("Failed sign-ins to your CRM account")
        body = render_template(
            "crm/login_warning_email.txt",
            user=user,
            step=step,
            failures=failures,
            start=when(since),
            end=when(time.time()),
            zone=zone.key,
            addresses=addresses,
        )
    outbox.queue(kind="signin_warning", to=user.email, language=lang, subject=subject, body=body)
    # Committed now: the failed sign-in's answer is an error page, whose request rolls back.
    db.session.commit()
    log.warning("login warning mailed user=%s step=%s failures=%s", user.id, step, failures)
