"""The personal calendar feed (a secret, revocable address serving text/calendar) and the
day-before reminders of visits and meetings (remind-appointments)."""

import hashlib
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from core.appointments import schedule
from core.appointments.reminders import send_reminders
from core.extensions import db
from core.models import Appointment, AuditEntry, Lead, OutboxEmail, User
from core.models.base import utcnow
from tests.conftest import csrf_token
from tests.factories import make_cast, make_lead, sign_in_as

BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cast(app):
    with app.app_context():
        return make_cast()


def visit(lead: Lead, organiser: User, starts_at: datetime, **fields) -> Appointment:
    values = {"kind": "site_visit", "title": "Plot A-03", "starts_at": starts_at, "minutes": 90,
              "timezone": "Europe/Berlin", "place": "Service centre", "agenda": ""}  # fmt: skip
    values.update(fields)
    return schedule(lead, organiser, user_ids=[organiser.id], contact_ids=[], **values)


@pytest.fixture
def world(app, cast):
    """A visit of the officer's lead in three days, and a confidential lead's meeting."""
    with app.app_context(), app.test_request_context():
        officer = db.session.get(User, cast.officer)
        leader = db.session.get(User, cast.leader)
        lead = make_lead(owner=officer, liaison=leader)
        visit(lead, officer, utcnow() + timedelta(days=3))
        db.session.commit()
        return {"lead_id": lead.id}


def feed_address(app, client, user_id) -> str:
    with app.app_context():
        sign_in_as(client, user_id)
    page = client.get("/crm/calendar/feed").get_data(as_text=True)
    response = client.post("/crm/calendar/feed", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 200
    (address,) = re.findall(r'value="(http[^"]+\.ics)"', response.get_data(as_text=True))
    return address


def test_the_feed_serves_the_staff_members_calendar(app, client, cast, world):
    address = feed_address(app, client, cast.officer)
    path = address.split("://", 1)[1].split("/", 1)[1]
    anonymous = app.test_client()
    response = anonymous.get("/" + path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "Set-Cookie" not in response.headers
    calendar = Calendar.from_ical(response.get_data())
    assert "METHOD" not in calendar  # a feed publishes; it invites nobody
    (event,) = calendar.walk("VEVENT")
    assert "Müller Präzisionstechnik GmbH" in str(event["SUMMARY"])
    assert str(event["LOCATION"]) == "Service centre"
    # Only the hash is stored, and the action is in the audit trail.
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    with app.app_context():
        user = db.session.get(User, cast.officer)
        assert user.calendar_feed_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in str(user.calendar_feed_hash)
        audited = select(AuditEntry).where(
            AuditEntry.entity_type == "User", AuditEntry.entity_id == user.id
        )
        assert db.session.scalar(audited) is not None


def test_a_new_address_or_turning_it_off_kills_the_old_one(app, client, cast, world):
    first = feed_address(app, client, cast.officer).split("/crm/", 1)[1]
    second = feed_address(app, client, cast.officer).split("/crm/", 1)[1]
    anonymous = app.test_client()
    assert anonymous.get("/crm/" + first).status_code == 404
    assert anonymous.get("/crm/" + second).status_code == 200
    page = client.get("/crm/calendar/feed").get_data(as_text=True)
    assert "Your feed is on" in page or "订阅已开启" in page
    client.post("/crm/calendar/feed/off", data={"csrf_token": csrf_token(page)})
    assert anonymous.get("/crm/" + second).status_code == 404
    assert anonymous.get("/crm/calendar/feed/" + "x" * 500 + ".ics").status_code == 404
    assert anonymous.get("/crm/calendar/feed/.ics").status_code == 404


def test_a_deactivated_user_has_no_feed(app, client, cast, world):
    address = feed_address(app, client, cast.officer).split("/crm/", 1)[1]
    with app.app_context():
        db.session.get(User, cast.officer).active = False
        db.session.commit()
    assert app.test_client().get("/crm/" + address).status_code == 404


def test_a_confidential_lead_shows_by_its_code_name_to_who_may_not_see_its_name(
    app, client, cast, world
):
    with app.app_context(), app.test_request_context():
        lead = db.session.get(Lead, world["lead_id"])
        lead.confidential = True
        teammate = db.session.get(User, cast.teammate)
        appointment = db.session.scalar(select(Appointment))
        appointment.attendees[0].user_id = teammate.id  # the teammate attends, not the owner
        lead.owner_id = teammate.id
        db.session.commit()
    other = app.test_client()
    address = feed_address(app, other, cast.officer).split("/crm/", 1)[1]
    body = app.test_client().get("/crm/" + address).get_data(as_text=True)
    assert "BEGIN:VEVENT" in body  # he organised it: it is in his calendar, by code name
    assert "Müller" not in body


def test_reminders_go_to_the_owner_and_the_liaison_the_day_before_once(app, cast, world):
    with app.app_context(), app.test_request_context():
        appointment = db.session.scalar(select(Appointment))
        now = datetime.now(BEIJING).replace(hour=16, minute=0, second=0, microsecond=0)
        appointment.starts_at = (now + timedelta(days=1)).replace(hour=10)
        db.session.commit()
        lines = send_reminders(now)
        db.session.commit()
        assert lines[-1].startswith("reminded: 1 appointment")
        mails = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.kind == "appointment_remind")
        ).all()
        assert {m.to_address for m in mails} == {"li@bureau.example", "chen@bureau.example"}
        assert all(m.calendar is None for m in mails)
        assert send_reminders(now)[-1].startswith("reminded: 0")  # once only
        # Moved to the day after: it is reminded of again the day before its new date.
        appointment = db.session.scalar(select(Appointment))
        appointment.reminded_at = None
        appointment.starts_at = now + timedelta(days=2)
        db.session.commit()
        assert send_reminders(now)[-1].startswith("reminded: 0")


def test_remind_appointments_is_a_registered_periodic_job(app):
    from core.periodic import jobs

    (job,) = [j for j in jobs(app) if j.name == "remind-appointments"]
    assert job.due(datetime(2026, 12, 8, 8, 0))  # 16:00 in Beijing
    assert not job.due(datetime(2026, 12, 8, 9, 0))
