"""The mail outbox: sending after commit, backoff, parking, and the send-outbox command."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from core import outbox
from core.extensions import db
from core.models import OutboxEmail


def queue_one(app, to: str = "investor@example.com", subject: str = "Ihre Anfrage") -> int:
    with app.app_context():
        email = outbox.queue(
            kind="test", to=to, language="de", subject=subject, body="Guten Tag,\nHallo 中文"
        )
        db.session.commit()
        return email.id


def make_due(app) -> None:
    """Move the clock past every scheduled retry."""
    with app.app_context():
        past = datetime.now(UTC) - timedelta(seconds=1)
        db.session.execute(update(OutboxEmail).values(next_attempt_at=past))
        db.session.commit()


def get(app, email_id: int) -> OutboxEmail:
    with app.app_context():
        email = db.session.get(OutboxEmail, email_id)
        db.session.expunge(email)
        return email


def send_due(app) -> tuple[int, int]:
    with app.app_context():
        return outbox.send_due()


def test_send_outbox_command_delivers_due_mail_once(app, smtp_server):
    email_id = queue_one(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-outbox"])
    assert result.exit_code == 0
    assert "1 sent, 0 failed" in result.output
    assert "0 sent" in runner.invoke(args=["send-outbox"]).output
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["investor@example.com"]
    assert received.subject == "Ihre Anfrage"
    assert received.body.strip() == "Guten Tag,\nHallo 中文"
    assert received.message["Content-Language"] == "de"
    assert received.message["Auto-Submitted"] == "auto-generated"
    # The Message-ID fixed when queued: a reply's In-Reply-To finds the email (and its lead).
    assert received.message["Message-ID"] == get(app, email_id).message_id
    email = get(app, email_id)
    assert (email.status, email.attempts, email.last_error) == ("sent", 1, None)
    assert email.sent_at is not None


def test_failed_attempts_back_off_then_park(app):
    email_id = queue_one(app)  # conftest's MAIL_PORT has nothing listening
    for attempt, wait in enumerate(outbox.BACKOFF_MINUTES, start=1):
        before = datetime.now(UTC)
        assert send_due(app) == (0, 1)
        email = get(app, email_id)
        assert (email.status, email.attempts) == ("queued", attempt)
        assert email.last_error.startswith("ConnectionRefusedError")
        expected = before + timedelta(minutes=wait)
        assert abs(email.next_attempt_at - expected) < timedelta(seconds=30)
        # not due yet: a run before the backoff has passed leaves it alone
        assert send_due(app) == (0, 0)
        make_due(app)
    assert send_due(app) == (0, 1)
    email = get(app, email_id)
    assert (email.status, email.attempts) == ("parked", outbox.MAX_ATTEMPTS)
    make_due(app)
    assert send_due(app) == (0, 0)  # parked mail waits for a person to resend it


def test_a_permanent_refusal_parks_at_once(app, smtp_server):
    smtp_server.refuse_with = "550 5.1.1 No such user"
    email_id = queue_one(app)
    assert send_due(app) == (0, 1)
    email = get(app, email_id)
    assert (email.status, email.attempts) == ("parked", 1)
    assert "550" in email.last_error


def test_a_temporary_refusal_is_retried_later(app, smtp_server):
    smtp_server.refuse_with = "451 4.3.0 Try again later"
    email_id = queue_one(app)
    assert send_due(app) == (0, 1)
    assert get(app, email_id).status == "queued"
    smtp_server.refuse_with = None
    make_due(app)
    assert send_due(app) == (1, 0)
    assert get(app, email_id).status == "sent"
    assert len(smtp_server.received) == 1


def test_one_bad_email_does_not_stop_the_others(app, smtp_server):
    bad = queue_one(app, subject="Broken\r\nBcc: someone@example.com")
    good = queue_one(app, to="second@example.com")
    assert send_due(app) == (1, 1)
    assert get(app, bad).status == "parked"
    assert get(app, good).status == "sent"
    assert [r.rcpt_tos for r in smtp_server.received] == [["second@example.com"]]


def test_send_now_tries_only_the_given_emails(app, smtp_server):
    first = queue_one(app, to="first@example.com")
    second = queue_one(app, to="second@example.com")
    with app.app_context():
        outbox.send_now([second])
    assert get(app, first).status == "queued"
    assert get(app, second).status == "sent"


@pytest.mark.parametrize("limit, sent", [(1, 1), (5, 3)])
def test_the_command_respects_its_limit(app, smtp_server, limit, sent):
    for n in range(3):
        queue_one(app, to=f"n{n}@example.com")
    result = app.test_cli_runner().invoke(args=["send-outbox", "--limit", str(limit)])
    assert f"{sent} sent" in result.output
    with app.app_context():
        statuses = db.session.scalars(select(OutboxEmail.status).order_by(OutboxEmail.id)).all()
    assert statuses.count("sent") == sent
