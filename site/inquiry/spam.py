"""Spam defence without CAPTCHA: signed fill-time token, content heuristics, rate limits (per
address, generous; per form, tight)."""

import re
import secrets
import time
from dataclasses import dataclass

from flask import current_app, request
from flask_babel import gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

TOKEN_SALT = "inquiry-fill-time"  # noqa: S105 - a namespace, not a secret
# A form left open longer than this (a day) is sent again with a fresh token.
TOKEN_MAX_AGE = 24 * 3600
MAX_LINKS = 3
LINK = re.compile(r"https?://|www\.|\[url", re.IGNORECASE)


class TokenExpired(Exception):
    """The form was rendered too long ago."""


class TokenInvalid(Exception):
    """The token is missing, forged or damaged."""


@dataclass(frozen=True)
class FillToken:
    """When the form was shown, and the key that makes a second submission of it find the first."""

    rendered_at: float
    submission_key: str

    @property
    def seconds_taken(self) -> float:
        return time.time() - self.rendered_at


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def issue_token() -> str:
    payload = {"t": round(time.time(), 3), "k": secrets.token_urlsafe(24)}
    return _serializer().dumps(payload)


def read_token(token: str | None) -> FillToken:
    if not token:
        raise TokenInvalid
    try:
        payload = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired as exc:
        raise TokenExpired from exc
    except BadSignature as exc:
        raise TokenInvalid from exc
    try:
        token = FillToken(float(payload["t"]), str(payload["k"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise TokenInvalid from exc
    if not 16 <= len(token.submission_key) <= 64:
        raise TokenInvalid
    return token


def filled_too_fast(token: FillToken) -> bool:
    return token.seconds_taken < current_app.config["INQUIRY_MIN_SECONDS"]


def rate_limit() -> str:
    """Read per request, so the limit can be changed in config (and in tests) at run time."""
    return current_app.config["INQUIRY_RATE_LIMIT"]


def form_limit() -> str:
    """Sends of one form (one fill-time token): tight, where the per-address limit cannot be."""
    return current_app.config["INQUIRY_FORM_LIMIT"]


def form_key() -> str:
    """The form a POST sends: its signed token's key. Without a good token (a script's POST),
    the sender's address, so that such sends share one tight limit."""
    try:
        token = read_token(request.form.get("form_token"))
    except (TokenExpired, TokenInvalid):
        return "inquiry-form/address/" + (request.remote_addr or "")
    return "inquiry-form/" + token.submission_key


def content_problem(form) -> str | None:
    """Typical spam shapes: a message full of links, or the same text pasted into every field."""
    message = form.message.data or ""
    if len(LINK.findall(message)) > MAX_LINKS:
        return gettext(
            "Your message contains more than %(max)d links. Please remove some and send it again.",
            max=MAX_LINKS,
        )
    texts = {(f.data or "").strip().casefold() for f in (form.name, form.company, form.message)}
    if len(texts) == 1 and "" not in texts:
        return gettext(
            "Your name, company and message are all the same text. "
            "Please fill in each field with what it asks for."
        )
    return None
