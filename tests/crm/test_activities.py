"""Logging activities on a lead: who may, what it does to the lead's clocks, closing tasks."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select

from core.extensions import db
from core.models import Activity, AuditEntry, Lead, User
from core.models.base import utcnow
from tests.conftest import csrf_token
from tests.factories import make_cast, make_lead, make_user, sign_in_as


@pytest.fixture
def cast(app):
    with app.app_context():
        return make_cast()


@pytest.fixture
def lead_id(app, cast):
    """A lead of team A, owned by the teammate (the officer is in the team, not the owner)."""
    with app.app_context():
        lead = make_lead(owner=db.session.get(User, cast.teammate))
        db.session.commit()
        return lead.id


def as_user(app, client, user_id) -> str:
    """Sign in and return a CSRF token from a page the user can open."""
    with app.app_context():
        sign_in_as(client, user_id)
    return csrf_token(client.get("/crm/my-day").get_data(as_text=True))


def log(client, token, lead_id, **fields):
    data = {"kind": "call", "subject": "Call with Anna", "csrf_token": token, **fields}
    return client.post(f"/crm/leads/{lead_id}/activities", data=data)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_officer_logs_a_call_on_a_team_lead(app, client, cast, lead_id):
    token = as_user(app, client, cast.officer)
    response = log(client, token, lead_id, body="Discussed plot A-03")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/crm/leads/{lead_id}"
    with app.app_context():
        activity = db.session.scalar(select(Activity))
        lead = db.session.get(Lead, lead_id)
        assert (activity.kind, activity.author_id, activity.body) == (
            "call",
            cast.officer,
            "Discussed plot A-03",
        )
        assert lead.last_contact_at == activity.occurred_at
        assert lead.first_response_at == activity.occurred_at
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "Activity"))
        (entry,) = entries.all()
        assert entry.action == "create" and entry.entity_id == activity.id
        assert entry.actor == f"user:{cast.officer}"


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_log_on_any_lead(app, client, cast, lead_id, role):
    token = as_user(app, client, getattr(cast, role))
    assert log(client, token, lead_id).status_code == 302
    with app.app_context():
        assert count(Activity) == 1


def test_officer_of_another_team_gets_404(app, client, cast, lead_id):
    token = as_user(app, client, cast.other_officer)
    assert log(client, token, lead_id).status_code == 404
    assert client.get(f"/crm/leads/{lead_id}/activities").status_code == 404
    assert log(client, token, 999_999).status_code == 404
    with app.app_context():
        assert count(Activity) == 0


def test_leaders_never_log_even_as_liaison(app, client, cast, lead_id):
    with app.app_context():
        db.session.get(Lead, lead_id).liaison_id = cast.leader
        db.session.commit()
    token = as_user(app, client, cast.leader)
    assert log(client, token, lead_id).status_code == 403
    with app.app_context():
        assert count(Activity) == 0


def test_form_page_renders_for_officers(app, client, cast, lead_id):
    as_user(app, client, cast.officer)
    page = client.get(f"/crm/leads/{lead_id}/activities?kind=task")
    assert page.status_code == 200
    assert '<option selected value="task">' in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("kind", "direction", "counts"),
    [
        ("meeting", "", True),
        ("site_visit", "", True),
        ("email", "out", True),
        ("email", "in", False),
        ("note", "", False),
    ],
)
def test_which_kinds_count_as_contact(app, client, cast, lead_id, kind, direction, counts):
    token = as_user(app, client, cast.officer)
    assert log(client, token, lead_id, kind=kind, direction=direction).status_code == 302
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        activity = db.session.scalar(select(Activity))
        assert activity.direction == (direction if kind == "email" else None)
        assert (lead.last_contact_at is not None) is counts
        assert (lead.first_response_at is not None) is counts


def test_first_response_is_kept_and_last_contact_never_goes_back(app, client, cast, lead_id):
    first = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        lead.first_response_at = lead.last_contact_at = first
        db.session.commit()
    token = as_user(app, client, cast.officer)
    # a call typed in afterwards that happened before the last contact
    assert log(client, token, lead_id, occurred_at="2026-01-05T09:00").status_code == 302
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert lead.first_response_at == first and lead.last_contact_at == first
    assert log(client, token, lead_id, occurred_at="2026-01-20T09:00").status_code == 302
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert lead.first_response_at == first
        assert lead.last_contact_at == datetime(2026, 1, 20, 1, 0, tzinfo=UTC)  # Shanghai +8


def test_time_typed_is_read_in_the_officers_zone(app, client, cast, lead_id):
    with app.app_context():
        db.session.get(User, cast.officer).timezone = "Europe/Berlin"
        db.session.commit()
    token = as_user(app, client, cast.officer)
    assert log(client, token, lead_id, occurred_at="2026-01-15T10:00").status_code == 302
    with app.app_context():
        activity = db.session.scalar(select(Activity))
        assert activity.occurred_at == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_task_with_due_date_and_assignee(app, client, cast, lead_id):
    token = as_user(app, client, cast.officer)
    response = log(
        client,
        token,
        lead_id,
        kind="task",
        subject="Send the land price sheet",
        due_at="2030-03-01T09:30",
        assignee_id=str(cast.teammate),
    )
    assert response.status_code == 302
    with app.app_context():
        task = db.session.scalar(select(Activity))
        assert task.kind == "task" and task.assignee_id == cast.teammate
        assert task.due_at == datetime(2030, 3, 1, 1, 30, tzinfo=UTC)
        # a task is not a contact
        assert db.session.get(Lead, lead_id).first_response_at is None


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "task"},  # no due date
        {"kind": "task", "due_at": "2030-03-01T09:30", "assignee_id": "OTHER"},  # other team
        {"kind": "task", "due_at": "2030-03-01T09:30", "assignee_id": "LEADER"},
        {"kind": "task", "due_at": "2030-03-01T09:30", "assignee_id": "abc"},
        {"kind": "task", "due_at": "tomorrow-ish"},
        {"kind": "lunch"},
        {"subject": ""},
        {"subject": "   "},
        {"subject": "x" * 201},
        {"subject": "Hello\r\nBcc: everyone@example.com"},
        {"body": "x" * 10_001},
        {"occurred_at": "2999-01-01T10:00"},
        {"occurred_at": "31/12/2025"},
        {"direction": "sideways", "kind": "email"},
    ],
)
def test_bad_input_is_refused_with_a_message(app, client, cast, lead_id, fields):
    substitute = {"OTHER": str(cast.other_officer), "LEADER": str(cast.leader)}
    fields = {k: substitute.get(v, v) for k, v in fields.items()}
    token = as_user(app, client, cast.officer)
    response = log(client, token, lead_id, **fields)
    assert response.status_code == 400
    assert "error-summary" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Activity) == 0 and count(AuditEntry, AuditEntry.entity_type == "Activity") == 0


def test_missing_csrf_is_refused(app, client, cast, lead_id):
    as_user(app, client, cast.officer)
    response = client.post(
        f"/crm/leads/{lead_id}/activities", data={"kind": "call", "subject": "x"}
    )
    assert response.status_code == 400
    with app.app_context():
        assert count(Activity) == 0


def make_task(lead_id, assignee_id, author_id, **extra) -> int:
    task = Activity(
        lead_id=lead_id,
        kind="task",
        subject="Prepare the site visit",
        due_at=utcnow() + timedelta(days=1),
        assignee_id=assignee_id,
        author_id=author_id,
        **extra,
    )
    db.session.add(task)
    db.session.commit()
    return task.id


def done(client, token, task_id, version="1", **extra):
    data = {"csrf_token": token, "version_id": version, **extra}
    return client.post(f"/crm/activities/{task_id}/done", data=data)


@pytest.mark.parametrize("who", ["officer", "teammate", "manager", "admin"])
def test_assignee_owner_and_managers_close_tasks(app, client, cast, lead_id, who):
    # officer is the assignee; teammate owns the lead
    with app.app_context():
        task_id = make_task(lead_id, cast.officer, cast.teammate)
    token = as_user(app, client, getattr(cast, who))
    response = done(client, token, task_id)
    assert response.status_code == 302 and response.headers["Location"] == f"/crm/leads/{lead_id}"
    with app.app_context():
        assert db.session.get(Activity, task_id).done_at is not None
        assert (
            count(AuditEntry, AuditEntry.action == "update", AuditEntry.entity_id == task_id) == 1
        )


def test_others_may_not_close_a_task(app, client, cast, lead_id):
    with app.app_context():
        third = make_user(
            "officer", "third@bureau.example", db.session.get(User, cast.officer).team
        )
        db.session.commit()
        task_id = make_task(lead_id, cast.officer, cast.teammate)
        third_id = third.id
    assert done(client, as_user(app, client, third_id), task_id).status_code == 403
    assert done(client, as_user(app, client, cast.other_officer), task_id).status_code == 404
    assert done(client, as_user(app, client, cast.leader), task_id).status_code == 403
    with app.app_context():
        assert db.session.get(Activity, task_id).done_at is None


def test_done_twice_stale_or_not_a_task(app, client, cast, lead_id):
    with app.app_context():
        task_id = make_task(lead_id, cast.officer, cast.officer)
        note_id = make_task(lead_id, None, cast.officer)
        note = db.session.get(Activity, note_id)
        note.kind = "note"
        db.session.commit()
    token = as_user(app, client, cast.officer)
    assert done(client, token, note_id).status_code == 404
    assert done(client, token, 999_999).status_code == 404
    for stale in ("7", "abc", ""):
        response = done(client, token, task_id, version=stale)
        assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Activity, task_id).done_at is None
    assert done(client, token, task_id).status_code == 302
    # the second click changes nothing and writes no second audit entry
    again = done(client, token, task_id, version="2", next="/crm/my-day")
    assert again.headers["Location"] == "/crm/my-day"
    with app.app_context():
        assert (
            count(AuditEntry, AuditEntry.entity_id == task_id, AuditEntry.action == "update") == 1
        )
    assert done(client, token, task_id, next="https://evil.example/").headers["Location"] == "/crm/"


def test_edit_an_activity_with_version_check(app, client, cast, lead_id):
    token = as_user(app, client, cast.officer)
    log(client, token, lead_id, occurred_at="2026-01-05T09:00")
    with app.app_context():
        activity_id = db.session.scalar(select(Activity.id))
    form = client.get(f"/crm/activities/{activity_id}/edit")
    assert form.status_code == 200 and 'value="2026-01-05T09:00"' in form.get_data(as_text=True)
    data = {
        "csrf_token": token,
        "version_id": "1",
        "subject": "Call with Anna and Jan",
        "occurred_at": "2026-01-05T09:00",
    }
    assert client.post(f"/crm/activities/{activity_id}/edit", data=data).status_code == 302
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        assert activity.subject == "Call with Anna and Jan"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "update"))
        assert set(entry.changes) == {"subject"}
    # the same form sent again carries the old version: refused, with what is saved now
    data["subject"] = "Overwrite"
    stale = client.post(f"/crm/activities/{activity_id}/edit", data=data)
    assert stale.status_code == 409
    assert "Call with Anna and Jan" in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Activity, activity_id).subject == "Call with Anna and Jan"
    other = as_user(app, client, cast.other_officer)
    assert (
        client.post(f"/crm/activities/{activity_id}/edit", data={"csrf_token": other}).status_code
        == 404
    )


def test_lead_panel_renders_with_the_lead_alone(app, cast, lead_id):
    with app.app_context():
        task_id = make_task(lead_id, cast.officer, cast.officer)
        with app.test_request_context("/crm/leads/1"):
            login_user(db.session.get(User, cast.officer))
            lead = db.session.get(Lead, lead_id)
            html = render_template("crm/activities/_lead_panel.html", lead=lead)
            assert f'action="/crm/activities/{task_id}/done"' in html
            assert f'action="/crm/leads/{lead_id}/activities"' in html
            assert f'href="/crm/leads/{lead_id}/email"' in html
            assert 'name="csrf_token"' in html
        with app.test_request_context("/crm/leads/1"):
            login_user(db.session.get(User, cast.leader))
            lead = db.session.get(Lead, lead_id)
            lead.liaison_id = cast.leader
            html = render_template("crm/activities/_lead_panel.html", lead=lead)
            # a liaison leader sees the tasks but has nothing to press
            assert "Prepare the site visit" in html
            assert "/done" not in html and "/activities" not in html
