"""Visits and meetings scheduled on a lead: the form, invitations as iCalendar through the outbox
(REQUEST, then updates and CANCEL with the same UID and a higher SEQUENCE), the outcome, the
timeline, My day and the week view."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from core.extensions import db
from core.models import Appointment, AuditEntry, Lead, OutboxEmail, User
from core.models.base import utcnow
from tests.conftest import csrf_token
from tests.factories import make_cast, make_lead, sign_in_as

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def cast(app):
    with app.app_context():
        return make_cast()


@pytest.fixture
def lead_id(app, cast):
    """A German investor's lead owned by the officer, the leader its liaison; staff in English
    (the leader in Chinese), the investor's contact in German."""
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        leader = db.session.get(User, cast.leader)
        officer.language = "en"
        leader.language = "zh"
        lead = make_lead(owner=officer, liaison=leader)
        db.session.commit()
        return lead.id


def as_user(app, client, user_id) -> str:
    with app.app_context():
        sign_in_as(client, user_id)
    return csrf_token(client.get("/crm/my-day").get_data(as_text=True))


def in_days(days: int, hour: int = 10) -> datetime:
    day = (datetime.now(BERLIN) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=BERLIN)


def form_for(app, lead_id, when: datetime, **fields) -> dict:
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        staff = [lead.owner_id, lead.liaison_id]
        contacts = [c.id for c in lead.contacts]
    return {
        "kind": "site_visit", "title": "Plot A-03 and the test hall",
        "day": when.date().isoformat(),
        "start": when.strftime("%H:%M"), "timezone": "Europe/Berlin", "minutes": "120",
        "place": "Park service centre, 1 Qingyuan Road", "agenda": "1. Plot A-03\n2. Lunch",
        "staff": staff, "contacts": contacts, **fields,
    }  # fmt: skip


def schedule(app, client, token, lead_id, when, **fields):
    data = {**form_for(app, lead_id, when, **fields), "csrf_token": token}
    return client.post(f"/crm/leads/{lead_id}/appointments/new", data=data)


def text(received) -> str:
    """The mail's plain text (an invitation is multipart: text, calendar, file)."""
    return received.message.get_body(("plain",)).get_content()


def calendar_part(received) -> tuple[str, Calendar]:
    """The text/calendar part of a received mail: its method parameter and the parsed calendar."""
    for part in received.message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_param("method"), Calendar.from_ical(part.get_content())
    raise AssertionError("no text/calendar part")


def test_scheduling_sends_each_attendee_an_invitation_in_their_language(
    app, client, cast, lead_id, smtp_server
):
    token = as_user(app, client, cast.officer)
    page = client.get(f"/crm/leads/{lead_id}/appointments/new").get_data(as_text=True)
    assert '<option selected value="Europe/Berlin">' in page  # the German investor's clock
    when = in_days(5)
    response = schedule(app, client, token, lead_id, when)
    assert response.status_code == 302
    with app.app_context():
        appointment = db.session.scalar(select(Appointment))
        assert appointment.starts_at == when.astimezone(ZoneInfo("UTC"))
        assert (appointment.status, appointment.sequence, appointment.minutes) == (
            "scheduled", 0, 120,
        )  # fmt: skip
        assert len(appointment.attendees) == 3
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.entity_type == "Appointment")
            )
            == 1
        )
        uid = appointment.uid
        kinds = set(db.session.scalars(select(OutboxEmail.kind)))
        assert kinds == {"appointment_invite"}
    assert response.headers["Location"] == f"/crm/appointments/{appointment.id}"

    (investor,) = smtp_server.to("anna@mueller.example")
    assert "Einladung" in investor.subject
    assert "Pekinger Zeit" in text(investor) or "Peking" in text(investor)
    method, calendar = calendar_part(investor)
    assert method == "REQUEST"
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == when
    assert event.decoded("DTEND") == when + timedelta(minutes=120)
    assert "Betriebsbesichtigung" in str(event["SUMMARY"]) or "Besichtigung" in str(
        event["SUMMARY"]
    )
    attendees = {str(a).lower() for a in event.get("ATTENDEE")}
    assert "mailto:anna@mueller.example" in attendees
    assert "mailto:chen@bureau.example" in attendees
    # The liaison leader reads it in Chinese, the officer in English, both with Beijing time.
    (leader,) = smtp_server.to("chen@bureau.example")
    assert "北京时间" in text(leader)
    (officer,) = smtp_server.to("li@bureau.example")
    assert "Invitation" in officer.subject and "Beijing time" in text(officer)
    beijing = when.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    assert beijing in text(officer) and when.strftime("%H:%M") in text(officer)


def test_moving_and_cancelling_keep_the_uid_and_raise_the_sequence(
    app, client, cast, lead_id, smtp_server
):
    token = as_user(app, client, cast.officer)
    schedule(app, client, token, lead_id, in_days(5))
    with app.app_context():
        appointment = db.session.scalar(select(Appointment))
        aid, uid, version = appointment.id, appointment.uid, appointment.version_id
    later = in_days(6, hour=14)
    data = {**form_for(app, lead_id, later), "csrf_token": token, "version_id": version}
    response = client.post(f"/crm/appointments/{aid}/edit", data=data)
    assert response.status_code == 302
    updates = smtp_server.to("anna@mueller.example")
    assert len(updates) == 2
    method, calendar = calendar_part(updates[-1])
    (event,) = calendar.walk("VEVENT")
    assert (method, str(event["UID"]), int(event["SEQUENCE"])) == ("REQUEST", uid, 1)
    assert event.decoded("DTSTART") == later
    with app.app_context():
        version = db.session.get(Appointment, aid).version_id
    # A stale version is refused and nothing is sent.
    stale = client.post(f"/crm/appointments/{aid}/cancel",
                        data={"csrf_token": token, "version_id": version - 1})  # fmt: skip
    assert stale.status_code == 302
    assert len(smtp_server.to("anna@mueller.example")) == 2
    cancel = {"csrf_token": token, "version_id": version, "reason": "Flight"}
    response = client.post(f"/crm/appointments/{aid}/cancel", data=cancel)
    assert response.status_code == 302
    method, calendar = calendar_part(smtp_server.to("anna@mueller.example")[-1])
    (event,) = calendar.walk("VEVENT")
    assert (method, calendar["METHOD"], str(event["UID"]), int(event["SEQUENCE"])) == (
        "CANCEL", "CANCEL", uid, 2,
    )  # fmt: skip
    assert str(event["STATUS"]) == "CANCELLED"
    with app.app_context():
        assert db.session.get(Appointment, aid).status == "cancelled"


def test_attendees_taken_off_are_cancelled_newcomers_invited(
    app, client, cast, lead_id, smtp_server
):
    token = as_user(app, client, cast.officer)
    schedule(app, client, token, lead_id, in_days(5))
    with app.app_context():
        appointment = db.session.scalar(select(Appointment))
        aid, version, owner = appointment.id, appointment.version_id, appointment.lead.owner_id
    data = {**form_for(app, lead_id, in_days(5)), "staff": [owner, cast.teammate],
            "csrf_token": token, "version_id": version}  # fmt: skip
    assert client.post(f"/crm/appointments/{aid}/edit", data=data).status_code == 302
    method, calendar = calendar_part(smtp_server.to("chen@bureau.example")[-1])
    assert method == "CANCEL"
    assert int(calendar.walk("VEVENT")[0]["SEQUENCE"]) == 1
    (newcomer,) = smtp_server.to("wu@bureau.example")
    assert calendar_part(newcomer)[0] == "REQUEST"
    assert newcomer.subject.startswith("邀请") or newcomer.subject.startswith("Invitation")
    # Nothing changed for the investor: no mail.
    assert len(smtp_server.to("anna@mueller.example")) == 1


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"day": "2020-01-01"}, "in the future"),
        ({"day": "not a date"}, "Date"),
        ({"day": "9999-12-31"}, "between the years 2000 and 2999"),
        ({"start": "25:99"}, "Start time"),
        ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
        ({"minutes": "5"}, "Length in minutes"),
        ({"title": ""}, "Title"),
        ({"title": "Visit\r\nBcc: x@evil.example"}, "single line"),
        ({"staff": ["99999"]}, "not a valid choice"),
        ({"contacts": ["x"]}, "could not be coerced"),
        ({"minutes": "lots"}, "Length in minutes"),
        ({"kind": "party"}, "Not a valid choice"),
    ],
)
def test_bad_input_is_explained_never_a_500(app, client, cast, lead_id, fields, message):
    token = as_user(app, client, cast.officer)
    response = schedule(app, client, token, lead_id, in_days(3), **fields)
    assert response.status_code == 400
    assert message.lower() in response.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0


@pytest.mark.parametrize("empty", ["", "\x00"])
def test_an_empty_attendee_choice_invites_nobody_of_that_kind(app, client, cast, lead_id, empty):
    """Found by the fuzz drill: an empty value (a NUL is cleaned to one) left the field without
    data and the visit could not be saved (a 500)."""
    token = as_user(app, client, cast.officer)
    response = schedule(app, client, token, lead_id, in_days(3), contacts=[empty], staff=[empty])
    assert response.status_code == 302
    with app.app_context():
        (appointment,) = db.session.scalars(select(Appointment)).all()
        assert appointment.attendees == []


def test_outcome_once_it_happened_on_the_same_record_and_the_timeline(app, client, cast, lead_id):
    token = as_user(app, client, cast.officer)
    schedule(app, client, token, lead_id, in_days(2))
    with app.app_context():
        appointment = db.session.scalar(select(Appointment))
        aid = appointment.id
    # Not yet: it lies in the future.
    early = {"csrf_token": token, "version_id": 1, "outcome": "Good"}
    response = client.post(f"/crm/appointments/{aid}/outcome", data=early)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "once the visit or meeting has begun" in page
    with app.app_context():
        appointment = db.session.get(Appointment, aid)
        appointment.starts_at = utcnow() - timedelta(hours=2)  # the day has come
        db.session.commit()
        version = appointment.version_id
    response = client.post(
        f"/crm/appointments/{aid}/outcome",
        data={"csrf_token": token, "version_id": version, "outcome": "They want plot A-03."},
    )
    assert response.status_code == 302
    with app.app_context():
        appointment = db.session.get(Appointment, aid)
        assert (appointment.status, appointment.outcome) == ("held", "They want plot A-03.")
        assert appointment.lead.last_contact_at == appointment.starts_at
    timeline = client.get(f"/crm/leads/{lead_id}").get_data(as_text=True)
    assert "scheduled a site visit: Plot A-03 and the test hall" in timeline
    assert "logged the outcome of the site visit" in timeline
    assert "They want plot A-03." in timeline
    # The investor's invitation is a mail on their timeline; the staff's copies are not.
    assert "anna@mueller.example" in timeline
    assert "li@bureau.example" not in timeline and "chen@bureau.example" not in timeline


def test_my_day_and_the_week_show_visits_and_meetings(app, client, cast, lead_id):
    token = as_user(app, client, cast.officer)
    soon = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(minutes=30)
    schedule(app, client, token, lead_id, soon.replace(second=0, microsecond=0),
             title="Coffee with Anna", timezone="Asia/Shanghai", kind="meeting")  # fmt: skip
    my_day = client.get("/crm/my-day").get_data(as_text=True)
    if soon.date() == datetime.now(ZoneInfo("Asia/Shanghai")).date():
        assert "Meeting: Coffee with Anna" in my_day
    week = client.get(f"/crm/calendar/week?start={soon.date().isoformat()}")
    assert week.status_code == 200
    assert "Meeting: Coffee with Anna" in week.get_data(as_text=True)
    # Someone who neither attends nor owns it does not see it in their week.
    other = app.test_client()
    as_user(app, other, cast.other_officer)
    week = other.get(f"/crm/calendar/week?start={soon.date().isoformat()}")
    assert "Coffee with Anna" not in week.get_data(as_text=True)
    # A garbled week is this week, not an error.
    assert client.get("/crm/calendar/week?start=2026-13-45").status_code == 200
    assert client.get("/crm/calendar/week?start=0001-01-01").status_code == 200


def test_a_leader_sees_the_visit_but_cannot_schedule(app, client, cast, lead_id):
    token = as_user(app, client, cast.officer)
    schedule(app, client, token, lead_id, in_days(4))
    with app.app_context():
        aid = db.session.scalar(select(Appointment.id))
    leader = app.test_client()
    as_user(app, leader, cast.leader)
    assert leader.get(f"/crm/appointments/{aid}").status_code == 200
    assert leader.get(f"/crm/leads/{lead_id}/appointments/new").status_code == 403
    # Another team's officer: as if it did not exist.
    other = app.test_client()
    as_user(app, other, cast.other_officer)
    assert other.get(f"/crm/appointments/{aid}").status_code == 404
    assert other.get("/crm/appointments/987654").status_code == 404


def test_anonymising_the_lead_writes_its_visits_out(app, client, cast, lead_id, smtp_server):
    from core.privacy import anonymise, person_data

    token = as_user(app, client, cast.officer)
    schedule(app, client, token, lead_id, in_days(5), agenda="Anna Müller brings her CFO")
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        (row,) = person_data(lead)["appointments"]
        assert row["agenda"] == "Anna Müller brings her CFO"
        anonymise(lead, actor="system")
        db.session.commit()
        appointment = db.session.scalar(select(Appointment))
        assert (appointment.title, appointment.agenda, appointment.place) == (
            "(anonymised)",
            "",
            "",
        )
        assert all(m.calendar is None for m in db.session.scalars(select(OutboxEmail)))
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "Appointment"))
        assert "Müller" not in str(entry.changes)


def test_the_pages_read_in_chinese(app, client, cast, lead_id):
    with app.app_context():
        db.session.get(User, cast.officer).language = "zh"
        db.session.commit()
    token = as_user(app, client, cast.officer)
    form = client.get(f"/crm/leads/{lead_id}/appointments/new").get_data(as_text=True)
    assert "安排考察或会议" in form and "保存并发送邀请" in form
    schedule(app, client, token, lead_id, in_days(3))
    with app.app_context():
        aid = db.session.scalar(select(Appointment.id))
    page = client.get(f"/crm/appointments/{aid}").get_data(as_text=True)
    assert "北京时间" in page and "改期或修改" in page and "记录结果" not in page  # not begun
    week = client.get(f"/crm/calendar/week?start={in_days(3).date().isoformat()}")
    assert "本周日程" in week.get_data(as_text=True)
    assert "实地考察" in week.get_data(as_text=True)
    assert "开启订阅" in client.get("/crm/calendar/feed").get_data(as_text=True)


def test_a_merged_leads_visit_lives_on_with_the_lead_it_went_into(app, client, cast, lead_id):
    token = as_user(app, client, cast.officer)
    schedule(app, client, token, lead_id, in_days(5))
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        survivor = make_lead("Müller Präzisionstechnik AG", owner=officer, email="a@m.example")
        db.session.get(Lead, lead_id).merged_into_id = survivor.id
        db.session.commit()
        aid, survivor_id = db.session.scalar(select(Appointment.id)), survivor.id
    assert client.get(f"/crm/appointments/{aid}").status_code == 200
    assert "Plot A-03 and the test hall" in client.get(f"/crm/leads/{survivor_id}").get_data(
        as_text=True
    )
