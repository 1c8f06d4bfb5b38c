"""The mail outbox: queue in the caller's transaction, send after commit, retry with backoff."""

import logging
import smtplib
from datetime import timedelta

import flask_mail
from flask import current_app
from flask_mail import Message
from sqlalchemy import select

from core.extensions import db
from core.models import OutboxEmail
from core.models.base import utcnow

log = logging.getLogger(__name__)

# Minutes to wait after each failed attempt: ten attempts over about seven hours, then parked.
BACKOFF_MINUTES = (1, 2, 5, 10, 20, 30, 60, 90, 120)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1


def queue(*, kind: str, to: str, language: str, subject: str, body: str, lead_id=None):
    """Add an email to the outbox in the current transaction; nothing is sent yet."""
    email = OutboxEmail(
        kind=kind,
        to_address=to,
        language=language,
        subject=subject,
        body_text=body,
        lead_id=lead_id,
    )
    db.session.add(email)
    return email


class _Connection(flask_mail.Connection):
    """Flask-Mail's connection with a socket timeout, so a hung SMTP server cannot hang a worker."""

    def configure_host(self):
        smtp = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp(self.mail.server, self.mail.port, timeout=current_app.config["MAIL_TIMEOUT"])
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def _deliver(email: OutboxEmail) -> None:
    msg = Message(
        subject=email.subject,
        recipients=[email.to_address],
        body=email.body_text,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers={"Content-Language": email.language, "Auto-Submitted": "auto-generated"},
    )
    with _Connection(current_app.extensions["mail"]) as connection:
        connection.send(msg)


def attempt(email: OutboxEmail) -> bool:
    """Try to send one email now; record the outcome on it. The caller commits."""
    now = utcnow()
    email.attempts += 1
    try:
        _deliver(email)
    except (OSError, smtplib.SMTPException) as exc:
        email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if email.attempts >= MAX_ATTEMPTS:
            email.status = "parked"
        else:
            wait = BACKOFF_MINUTES[email.attempts - 1]
            email.next_attempt_at = now + timedelta(minutes=wait)
        log.warning("outbox %s attempt %s failed: %s", email.id, email.attempts, exc)
        return False
    email.status = "sent"
    email.sent_at = now
    email.last_error = None
    return True


def send_due(limit: int = 100, ids: list[int] | None = None) -> tuple[int, int]:
    """Send queued emails whose time has come; returns (sent, failed).

    Rows are locked with SKIP LOCKED on PostgreSQL so several servers and cron never send twice.
    """
    sent = failed = 0
    query = (
        select(OutboxEmail)
        .where(OutboxEmail.status == "queued", OutboxEmail.next_attempt_at <= utcnow())
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        query = query.where(OutboxEmail.id.in_(ids))
    for email in db.session.scalars(query).all():
        if attempt(email):
            sent += 1
        else:
            failed += 1
        db.session.commit()
    return sent, failed


def send_now(ids: list[int]) -> None:
    """After a request's commit, try its emails at once; failures stay queued for retry."""
    if not ids or current_app.config.get("MAIL_SUPPRESS_SEND_NOW"):
        return
    try:
        send_due(limit=len(ids), ids=ids)
    except Exception:  # a mail problem must never turn a stored lead into an error page
        db.session.rollback()
        log.exception("sending outbox emails %s after commit failed", ids)
