"""The daily digest: who gets one, in which language, with which links, and only once a day."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from sqlalchemy import select

from core.extensions import db
from core.models import Activity, AuditEntry, OutboxEmail, User
from core.models.base import utcnow
from tests.factories import make_cast, make_lead, make_user

BASE = "https://crm.qingyuan-port.example"


@pytest.fixture
def world(app):
    """The officer (English, Berlin) has an overdue task and an unanswered lead past its
    deadline; the teammate (Chinese, Shanghai) an overdue task; others nothing due."""
    app.config["CRM_BASE_URL"] = BASE
    now = utcnow()
    with app.app_context():
        cast = make_cast()
        officer = db.session.get(User, cast.officer)
        officer.language, officer.timezone = "en", "Europe/Berlin"
        teammate = db.session.get(User, cast.teammate)
        idle = make_user("officer", "idle@bureau.example", officer.team)
        idle.active = False
        lead = make_lead(owner=officer)
        lead.response_due_at = now - timedelta(hours=5)
        quiet = make_lead("Pending SARL", owner=teammate, email="p@pending.example")
        quiet.response_due_at = now + timedelta(days=1)  # not yet overdue
        due = now - timedelta(days=1)
        for assignee, subject in (
            (officer, "Send the land price sheet"),
            (teammate, "Call Müller back"),
            (idle, "Task of someone who left"),
            (db.session.get(User, cast.manager), "Manager's own task"),
        ):
            db.session.add(
                Activity(
                    lead_id=lead.id,
                    kind="task",
                    subject=subject,
                    due_at=due,
                    assignee_id=assignee.id,
                )
            )
        db.session.add(
            Activity(
                lead_id=lead.id,
                kind="task",
                subject="Tomorrow's task",
                due_at=now + timedelta(days=1),
                assignee_id=officer.id,
            )
        )
        db.session.commit()
        return {"cast": cast, "lead_id": lead.id, "due": due, "response_due": lead.response_due_at}


def run(app):
    result = app.test_cli_runner().invoke(args=["send-digests"])
    assert result.exit_code == 0, result.output
    return result.output


def digests():
    return {e.to_address: e for e in db.session.scalars(select(OutboxEmail))}


def test_one_digest_per_officer_with_overdue_items(app, world, smtp_server):
    output = run(app)
    assert "2 queued, 2 sent, 0 failed" in output
    assert "1 with nothing overdue" in output
    with app.app_context():
        mails = digests()
        assert set(mails) == {"li@bureau.example", "wu@bureau.example"}
        english = mails["li@bureau.example"]
        assert (english.kind, english.language, english.status) == ("digest", "en", "sent")
        assert english.subject == "Overdue in the CRM: 2 items"
        body = english.body_text
        assert "Send the land price sheet" in body and "Tomorrow's task" not in body
        assert "Call Müller back" not in body
        assert f"{BASE}/crm/leads/{world['lead_id']}" in body
        assert f"{BASE}/crm/my-day" in body
        # times in the officer's zone and language
        berlin = ZoneInfo("Europe/Berlin")
        assert format_datetime(world["due"], "short", tzinfo=berlin, locale="en") in body
        due = world["response_due"]
        assert format_datetime(due, "short", tzinfo=berlin, locale="en") in body
        chinese = mails["wu@bureau.example"]
        assert chinese.language == "zh"
        shanghai = ZoneInfo("Asia/Shanghai")
        assert format_datetime(world["due"], "short", tzinfo=shanghai, locale="zh") in (
            chinese.body_text
        )
        assert "Pending SARL" not in chinese.body_text
    received = smtp_server.to("li@bureau.example")
    assert len(received) == 1 and received[0].subject == "Overdue in the CRM: 2 items"
    assert f"{BASE}/crm/leads/{world['lead_id']}" in received[0].body
    assert len(smtp_server.received) == 2


def test_a_second_run_the_same_day_sends_nothing(app, world, smtp_server):
    run(app)
    output = run(app)
    assert "0 queued" in output and "2 already sent today" in output
    with app.app_context():
        assert db.session.query(OutboxEmail).count() == 2
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "digest"))
        assert sorted(e.entity_id for e in entries) == sorted(
            [world["cast"].officer, world["cast"].teammate]
        )
    assert len(smtp_server.received) == 2


def test_mail_down_keeps_digests_queued_and_still_once(app, world):
    output = run(app)
    assert "2 queued, 0 sent, 2 failed" in output
    with app.app_context():
        assert {e.status for e in digests().values()} == {"queued"}
    assert "0 queued" in run(app)


def test_nothing_overdue_nothing_sent(app):
    with app.app_context():
        make_cast()
    output = run(app)
    assert "0 queued" in output and "3 with nothing overdue" in output
    with app.app_context():
        assert db.session.query(OutboxEmail).count() == 0
