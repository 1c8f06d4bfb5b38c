"""The mail outbox: queue in the caller's transaction, sent by the job worker after commit, retried
with backoff (the periodic send-outbox is the safety net)."""

import logging
import re
import secrets
import smtplib
from datetime import timedelta
from email.utils import parseaddr

import flask_mail
from flask import current_app
from flask_mail import Message
from sqlalchemy import select

from core.extensions import db
from core.jobs import enqueue, task
from core.mail_in import addresses
from core.models import OutboxEmail
from core.models.base import utcnow
from core.uploads import read_upload

log = logging.getLogger(__name__)

# Minutes to wait after each failed attempt: ten attempts over about five and a half hours,
# then the email is parked for a manual resend.
BACKOFF_MINUTES = (1, 2, 5, 10, 20, 30, 60, 90, 120)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
SUBJECT_MAX = 300


def queue(
    *,
    kind: str,
    to: str,
    language: str,
    subject: str,
    body: str,
    lead_id=None,
    automatic: bool = True,
    answerable_by_lead: bool = False,
    officer_name: str | None = None,
    reply_to: str | None = None,
    answering=None,
    attachments=(),
):
    """Add an email to the outbox in the current transaction; nothing is sent yet.

    automatic: no person wrote it or chose to send it (Auto-Submitted: auto-generated).
    answerable_by_lead: mail to the lead's investor; it comes from the bureau's address under
    officer_name, and its Reply-To is the lead's reply address, so the answer finds the lead.
    reply_to: an explicit Reply-To (the bureau's notification answers the investor).
    answering: the InboundMail this one answers (In-Reply-To and References).
    attachments: LeadFile rows of the lead to send with it (read from storage when sent).
    """
    if answerable_by_lead and lead_id is not None:
        subject = addresses.tagged_subject(subject, lead_id)
        reply_to = addresses.reply_address(lead_id)
    email = OutboxEmail(
        kind=kind,
        to_address=to,
        language=language,
        subject=subject[:SUBJECT_MAX],
        body_text=body,
        lead_id=lead_id,
        message_id=f"<{secrets.token_hex(12)}@{_domain()}>",
        automatic=automatic,
        sender_name=officer_name if answerable_by_lead else None,
        reply_to=reply_to,
        attachments=list(attachments),
    )
    if answering is not None and answering.message_id.startswith("<"):
        email.in_reply_to = answering.message_id
        email.references = " ".join(
            part for part in (answering.references, answering.message_id) if part
        )[-4000:]
    db.session.add(email)
    return email


def _domain() -> str:
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    return sender.rpartition("@")[2] or "localhost"


class _Connection(flask_mail.Connection):
    """An SMTP connection from the app's config at send time, with a socket timeout.

    Flask-Mail copies its settings once at start-up and suppresses sending under TESTING;
    the outbox always talks to the configured server, so tests run against a real one.
    """

    def __enter__(self):
        self.host = self.configure_host()
        self.num_emails = 0
        return self

    def configure_host(self):
        cfg = current_app.config
        smtp = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
        host = smtp(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
        try:
            if cfg["MAIL_USE_TLS"]:
                host.starttls()
            if cfg["MAIL_USERNAME"] and cfg["MAIL_PASSWORD"]:
                host.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        except BaseException:
            host.close()
            raise
        return host

    def __exit__(self, exc_type, exc_value, tb):
        # The message is delivered once sendmail returns; a failing QUIT must not resend it.
        if self.host is not None:
            try:
                self.host.quit()
            except (OSError, smtplib.SMTPException):
                self.host.close()


def _message_id(email: OutboxEmail) -> str:
    """The Message-ID fixed at queueing; mail queued before there was one gets the same one on
    every attempt, so a resend after a lost reply is recognisable."""
    if email.message_id:
        return email.message_id
    return f"<outbox-{email.id}-{email.created_at:%Y%m%d%H%M%S}@{_domain()}>"


def _headers(email: OutboxEmail) -> dict[str, str]:
    headers = {"Content-Language": email.language}
    if email.automatic:
        headers["Auto-Submitted"] = "auto-generated"
    if email.reply_to:
        headers["Reply-To"] = email.reply_to
    if email.in_reply_to:
        headers["In-Reply-To"] = email.in_reply_to
        headers["References"] = email.references or email.in_reply_to
    return headers


class _Message(Message):
    """Flask-Mail's message; an invitation's text/calendar part carries its METHOD (RFC 6047),
    which Outlook and Apple Mail read to offer Accept / Decline."""

    calendar_method: str | None = None

    def _message(self):
        msg = super()._message()
        for part in msg.walk():
            if self.calendar_method and part.get_content_type() == "text/calendar":
                part.set_param("method", self.calendar_method)
        return msg


def _with_calendar(msg: _Message, calendar: str) -> None:
    """The invitation both as the alternative part (clients show it inline) and as a file
    invite.ics (clients that ignore the part still import it)."""
    method = re.search(r"^METHOD:(\w+)", calendar, re.M)
    msg.calendar_method = method.group(1) if method else None
    msg.alts = {"calendar": calendar}
    msg.attach("invite.ics", "application/ics", calendar.encode())


def _deliver(email: OutboxEmail) -> None:
    # Mail a person can answer comes from the bureau's address; the rest from the no-reply sender.
    sender = (
        addresses.sender(email.sender_name)
        if email.reply_to or not email.automatic
        else current_app.config["MAIL_DEFAULT_SENDER"]
    )
    msg = _Message(
        subject=email.subject,
        recipients=[email.to_address],
        body=email.body_text,
        sender=sender,
        extra_headers=_headers(email),
    )
    msg.msgId = _message_id(email)
    if email.calendar:
        _with_calendar(msg, email.calendar)
    for kept in email.attachments:
        try:
            data = read_upload(kept.path)
        except FileNotFoundError as exc:
            raise AttachmentGone(kept.filename) from exc
        msg.attach(kept.filename, kept.content_type, data)
    with _Connection(current_app.extensions["mail"]) as connection:
        connection.send(msg)


class AttachmentGone(Exception):
    """A file the mail promises is no longer stored (erased with its person, removed by hand):
    sending the letter without it would be wrong, and retrying will not bring it back."""


def _permanent(exc: Exception) -> bool:
    """A 5xx answer (no such mailbox, message refused) will not change on retry."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return isinstance(exc, flask_mail.BadHeaderError | AttachmentGone)


def try_once(item, deliver, *, name: str, permanent=lambda exc: False) -> bool:
    """One attempt at something queued with attempts, next_attempt_at, status, last_error and
    sent_at (an email, a WeCom message): sent, or due again after the backoff, or parked after
    the last attempt or an error that retrying will not mend. The caller commits."""
    now = utcnow()
    item.attempts += 1
    try:
        deliver(item)
    except Exception as exc:  # recorded on the item: one bad item never stops a run
        item.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if item.attempts >= MAX_ATTEMPTS or permanent(exc):
            item.status = "parked"
        else:
            item.next_attempt_at = now + timedelta(minutes=BACKOFF_MINUTES[item.attempts - 1])
        # The error's type only: an SMTP refusal's text names the recipient (kept on the item).
        log.warning("%s %s attempt %s failed: %s", name, item.id, item.attempts, type(exc).__name__)
        return False
    item.status, item.sent_at, item.last_error = "sent", now, None
    return True


def attempt(email: OutboxEmail) -> bool:
    """Try to send one email now; record the outcome on it. The caller commits."""
    return try_once(email, _deliver, name="outbox", permanent=_permanent)


def _next_due(ids: list[int] | None) -> OutboxEmail | None:
    """Lock one due email; SKIP LOCKED lets several servers and cron work without sending twice."""
    query = (
        select(OutboxEmail)
        .where(OutboxEmail.status == "queued", OutboxEmail.next_attempt_at <= utcnow())
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        query = query.where(OutboxEmail.id.in_(ids))
    return db.session.scalar(query)


def send_due(limit: int = 100, ids: list[int] | None = None) -> tuple[int, int]:
    """Send queued emails whose time has come, one transaction each; returns (sent, failed).

    A failed email is rescheduled into the future, so one run tries each email at most once.
    """
    sent = failed = 0
    for _ in range(limit):
        email = _next_due(ids)
        if email is None:
            break
        if attempt(email):
            sent += 1
        else:
            failed += 1
        db.session.commit()
    return sent, failed


def hand_to_worker(ids: list[int]) -> None:
    """After a commit: the worker tries these emails at once. Never SMTP in a web request: a
    hanging mail server would hold the worker and tell by its timing whether mail was sent.
    If the queue is unreachable the emails stay queued for send-outbox."""
    if ids:
        enqueue(send_mail, ids)


@task()
def send_mail(ids: list[int]) -> None:
    send_now(ids)


def send_now(ids: list[int]) -> None:
    """Try these committed emails now; failures stay queued for retry."""
    if not ids:
        return
    try:
        send_due(limit=len(ids), ids=ids)
    except Exception:  # a mail problem is the outbox's to retry, never the task's to raise
        db.session.rollback()
        log.exception("sending outbox emails %s failed", ids)
