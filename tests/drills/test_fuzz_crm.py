"""Fuzz drill, CRM: a representative set of staff forms (sign-in, leads, contacts, activities,
stage moves, signing, email, visits, booth capture, import upload, enterprises, events, projects,
admin, team robots, notifications and their settings), hundreds of hostile cases each; no case
may give a 5xx or log a traceback."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from core import notifications
from core.events import load_events
from core.extensions import db, limiter
from core.models import Event, InboundMail, User
from tests.drills.fuzz import FUZZ, assert_no_server_error, assert_no_traceback, cases, form_once
from tests.drills.fuzz import send as send_case
from tests.factories import make_cast, make_lead, sign_in_as, two_signed_projects

pytestmark = pytest.mark.slow  # hundreds of cases a form (FUZZ_CASES)

# (who, the page holding the form, where it posts, method)
TARGETS = [
    (None, "/crm/login", "/crm/login", "POST"),
    (None, "/crm/password/forgot", "/crm/password/forgot", "POST"),
    ("manager", "/crm/leads/new", "/crm/leads/new", "POST"),
    ("manager", "/crm/leads/{lead}/edit", "/crm/leads/{lead}/edit", "POST"),
    ("manager", "/crm/leads/{lead}/contacts/new", "/crm/leads/{lead}/contacts/new", "POST"),
    ("manager", "/crm/leads/{lead}", "/crm/leads/{lead}/activities", "POST"),
    ("manager", "/crm/leads/{lead}", "/crm/leads/{lead}/move", "POST"),
    (
        "manager",
        "/crm/leads/{lead}/appointments/new",
        "/crm/leads/{lead}/appointments/new",
        "POST",
    ),
    ("officer", "/crm/calendar/week", "/crm/calendar/week", "GET"),
    ("manager", "/crm/leads/{open_lead}/sign", "/crm/leads/{open_lead}/sign", "POST"),
    ("officer", "/crm/leads/{lead}/email", "/crm/leads/{lead}/email", "POST"),
    # The composer answering a received mail: its thread, a sender who is no contact, files.
    ("officer", "/crm/leads/{lead}/email?reply={mail}", "/crm/leads/{lead}/email", "POST"),
    ("officer", "/crm/capture/{event}", "/crm/capture/{event}", "POST"),
    ("officer", "/crm/imports/new", "/crm/imports/new", "POST"),
    ("manager", "/crm/enterprises/new", "/crm/enterprises/new", "POST"),
    ("manager", "/crm/events/new", "/crm/events/new", "POST"),
    ("manager", "/crm/projects/{project}/edit", "/crm/projects/{project}/edit", "POST"),
    (
        "manager",
        "/crm/projects/{project}/meetings/new",
        "/crm/projects/{project}/meetings/new",
        "POST",
    ),
    ("admin", "/crm/admin/users/new", "/crm/admin/users/new", "POST"),
    ("admin", "/crm/admin/users", "/crm/admin/teams/{team}/wecom", "POST"),
    ("officer", "/crm/account/notifications", "/crm/account/notifications", "POST"),
    ("officer", "/crm/notifications", "/crm/notifications/{notice}/open", "POST"),
    ("officer", "/crm/leads", "/crm/leads", "GET"),
]


# What a person would type where the general plausible value (tests/drills/fuzz.py) is refused
# by the form's own rule, so that cases reach past validation: a visit is planned ahead.
FILLED = {"/crm/leads/{lead}/appointments/new": {"day": str(date.today() + timedelta(days=30))}}


@pytest.fixture
def world(app, monkeypatch, caplog):
    """Staff in every role, a lead and its signed project, the demo events; limits off."""
    monkeypatch.setattr(limiter, "enabled", False)
    with app.app_context():
        load_events()
        cast = make_cast()
        project = two_signed_projects(cast)["a"]
        mail = InboundMail(
            message_id="<fuzz@investor.example>", from_address="cfo@investor.example",
            subject="Re: plots", body_text="How large is B-12?", imap_folder="INBOX",
            imap_uidvalidity=1, imap_uid=1, status="threaded", lead_id=project.lead_id,
        )  # fmt: skip
        db.session.add(mail)
        officer = db.session.get(User, cast.officer)
        notice = notifications.notify(officer, "lead_assigned", record=("lead", project.lead_id))
        open_lead = make_lead("Offen Antriebe GmbH", email="o@offen.example", stage="negotiation")
        db.session.commit()
        ids = {
            "lead": project.lead_id,
            "open_lead": open_lead.id,
            "project": project.id,
            "event": db.session.scalar(select(Event.id).order_by(Event.id)),
            "mail": mail.id,
            "team": cast.team_a,
            "notice": notice.id,
        }
    # The form and its signed-in session, read once (fuzz.form_once): a lead's page, with its
    # timeline, cost three times what the case it fed did.
    yield app, cast, ids, {}
    assert_no_traceback(caplog)


@pytest.mark.parametrize(
    ("who", "page", "action", "method"), TARGETS, ids=[f"{t[3]} {t[2]}" for t in TARGETS]
)
@FUZZ
@given(data=st.data())
def test_crm_form(world, who, page, action, method, data):
    app, cast, ids, read = world
    template, page, action = action, page.format(**ids), action.format(**ids)
    client = app.test_client()  # a case's answer (a flash, a sign-out) stays with its client
    if who and not read:
        with app.app_context():
            sign_in_as(client, getattr(cast, who))
    filled = FILLED.get(template, {})
    form = [
        (name, filled.get(name, value)) for name, value in form_once(client, read, page, action)
    ]
    case = data.draw(cases(form))
    headers = {"Accept": data.draw(st.sampled_from(["text/html", "application/json", "*/*"]))}
    assert_no_server_error(send_case(client, method, action, case, headers=headers), case)
