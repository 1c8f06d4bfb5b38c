"""My day: overdue and today's tasks in the officer's own time zone, unanswered and quiet leads."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.extensions import db
from core.models import Activity, Lead, User
from core.models.base import utcnow
from tests.factories import make_cast, make_lead, sign_in_as

BERLIN, SHANGHAI = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cast(app):
    with app.app_context():
        cast = make_cast()
        db.session.get(User, cast.officer).timezone = "Europe/Berlin"
        db.session.commit()
        return cast


def section(html: str, title_id: str) -> str:
    """The text of one bucket of the page, from its heading to the end of its section."""
    match = re.search(rf'id="{title_id}".*?</section>', html, re.S)
    assert match, title_id
    return match.group(0)


def my_day(app, client, user_id) -> str:
    with app.app_context():
        sign_in_as(client, user_id)
    response = client.get("/crm/my-day")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def task(lead, assignee_id, subject, due_at, **extra):
    db.session.add(
        Activity(
            lead_id=lead.id,
            kind="task",
            subject=subject,
            due_at=due_at,
            assignee_id=assignee_id,
            **extra,
        )
    )


def end_of_day(now, zone):
    return datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time.min, zone)


def test_tasks_fall_into_overdue_and_today_in_the_officers_zone(app, client, cast):
    now = utcnow()
    berlin_end = end_of_day(now, BERLIN)
    with app.app_context():
        lead = make_lead(owner=db.session.get(User, cast.officer))
        task(lead, cast.officer, "Call back about the plot", now - timedelta(days=1))
        task(lead, cast.officer, "Send the brochure", now + (berlin_end - now) / 2)
        task(lead, cast.officer, "Book the visit", berlin_end + timedelta(hours=1))
        task(lead, cast.officer, "Old task", now - timedelta(days=2), done_at=now)
        task(lead, cast.teammate, "Task of the teammate", now - timedelta(days=1))
        db.session.commit()
        lead_id = lead.id
    html = my_day(app, client, cast.officer)
    overdue, today = section(html, "overdue-title"), section(html, "today-title")
    assert "Call back about the plot" in overdue and "Send the brochure" not in overdue
    assert "Send the brochure" in today and "Call back about the plot" not in today
    for gone in ("Book the visit", "Old task", "Task of the teammate"):
        assert gone not in html
    assert f'href="/crm/leads/{lead_id}"' in overdue
    assert 'action="/crm/activities/' in today and 'name="next" value="/crm/my-day"' in today


def test_today_is_the_officers_day_not_the_servers(app, client, cast):
    """One moment: today for one officer, not today for a colleague seven hours ahead."""
    now = utcnow()
    berlin_end, shanghai_end = end_of_day(now, BERLIN), end_of_day(now, SHANGHAI)
    # Late in Berlin's day, before Shanghai's midnight; or just after Berlin's midnight.
    due = berlin_end - timedelta(minutes=1)
    if due < shanghai_end:
        due = berlin_end + timedelta(minutes=1)
    in_berlin_today = now < due < berlin_end
    in_shanghai_today = now < due < shanghai_end
    assert in_berlin_today != in_shanghai_today
    with app.app_context():
        lead = make_lead(owner=db.session.get(User, cast.officer))
        task(lead, cast.officer, "Task for Berlin", due)
        task(lead, cast.teammate, "Task for Shanghai", due)
        db.session.commit()
    berlin = section(my_day(app, client, cast.officer), "today-title")
    shanghai = section(my_day(app, app.test_client(), cast.teammate), "today-title")
    assert ("Task for Berlin" in berlin) is in_berlin_today
    assert ("Task for Shanghai" in shanghai) is in_shanghai_today


def test_new_leads_without_response_overdue_first(app, client, cast):
    now = utcnow()
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        later = make_lead("Later GmbH", owner=officer, email="a@later.example")
        late = make_lead("Late SARL", owner=officer, email="b@late.example", country="FR")
        answered = make_lead("Answered AG", owner=officer, email="c@answered.example")
        lost = make_lead("Lost Ltd", owner=officer, email="d@lost.example", stage="lost")
        theirs = make_lead(
            "Teammate Co", owner=db.session.get(User, cast.teammate), email="e@t.example"
        )
        later.response_due_at = now + timedelta(days=1)
        late.response_due_at = lost.response_due_at = now - timedelta(hours=3)
        answered.first_response_at = now - timedelta(days=1)
        theirs.response_due_at = now - timedelta(days=1)
        db.session.commit()
    unanswered = section(my_day(app, client, cast.officer), "unanswered-title")
    assert unanswered.index("Late SARL") < unanswered.index("Later GmbH")
    assert unanswered.count("is-overdue") == 1
    for absent in ("Answered AG", "Lost Ltd", "Teammate Co"):
        assert absent not in unanswered


def test_leads_with_no_contact_for_two_weeks(app, client, cast):
    now = utcnow()
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        quiet = make_lead("Quiet GmbH", owner=officer, email="a@q.example")
        recent = make_lead("Recent GmbH", owner=officer, email="b@r.example")
        signed = make_lead("Signed GmbH", owner=officer, email="c@s.example", stage="signed")
        for lead, days in ((quiet, 20), (recent, 3), (signed, 40)):
            lead.first_response_at = lead.last_contact_at = now - timedelta(days=days)
        db.session.commit()
        quiet_id = quiet.id
    section_html = section(my_day(app, client, cast.officer), "quiet-title")
    assert "Quiet GmbH" in section_html and f'href="/crm/leads/{quiet_id}"' in section_html
    assert "Recent GmbH" not in section_html and "Signed GmbH" not in section_html


def test_every_role_has_a_day_and_anonymous_visitors_sign_in(app, client, cast):
    for user_id in cast.by_role().values():
        my_day(app, app.test_client(), user_id)
    response = client.get("/crm/my-day")
    assert response.status_code == 302 and "/crm/login" in response.headers["Location"]


def test_tasks_on_merged_or_hidden_leads_are_left_out(app, client, cast):
    now = utcnow()
    with app.app_context():
        mine = make_lead(owner=db.session.get(User, cast.officer))
        foreign = make_lead(
            "Beijing Co", owner=db.session.get(User, cast.other_officer), email="x@b.example"
        )
        merged = make_lead("Merged Co", owner=db.session.get(User, cast.officer), email="m@m.ex")
        merged.merged_into_id = mine.id
        task(foreign, cast.officer, "Task on a lead of another team", now - timedelta(hours=1))
        task(merged, cast.officer, "Task on a merged lead", now - timedelta(hours=1))
        db.session.commit()
    html = my_day(app, client, cast.officer)
    assert "another team" not in html and "merged lead" not in html
    with app.app_context():
        assert db.session.query(Lead).count() == 3


def test_the_counts_are_true_totals_beyond_the_shown_hundred(app, client, cast):
    """193 leads waiting: the heading says 193, the page lists 100 and links to all of them."""
    now = utcnow()
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        leads = [
            Lead(source="event", company_name=f"Waiting {n:03d} GmbH", stage="new", country="DE",
                 industry="precision-machinery", language="de",
                 owner_id=officer.id, team_id=officer.team_id,
                 response_due_at=now + timedelta(hours=n))
            for n in range(193)
        ]  # fmt: skip
        db.session.add_all(leads)
        db.session.flush()
        for n in range(130):
            task(leads[n], officer.id, f"Call {n}", now - timedelta(hours=n + 1))
        db.session.commit()
    html = my_day(app, client, cast.officer)
    unanswered = section(html, "unanswered-title")
    assert "(193)" in unanswered
    assert unanswered.count("<li") == 100
    assert f"/crm/leads?owner={cast.officer}&amp;no_response=1" in unanswered
    overdue = section(html, "overdue-title")
    assert "(130)" in overdue and overdue.count("<li") == 100
