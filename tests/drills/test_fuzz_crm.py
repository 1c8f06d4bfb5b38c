"""Fuzz drill, CRM: a representative set of staff forms (sign-in, leads, contacts, activities,
stage moves, signing, email, booth capture, import upload, enterprises, events, projects, admin),
hundreds of hostile cases each; no case may give a 5xx or log a traceback."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from core.events import load_events
from core.extensions import db, limiter
from core.models import Event
from tests.drills.fuzz import FUZZ, assert_no_server_error, assert_no_traceback, cases, read_form
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
    ("manager", "/crm/leads/{open_lead}/sign", "/crm/leads/{open_lead}/sign", "POST"),
    ("officer", "/crm/leads/{lead}/email", "/crm/leads/{lead}/email", "POST"),
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
    ("officer", "/crm/leads", "/crm/leads", "GET"),
]


@pytest.fixture
def world(app, monkeypatch, caplog):
    """Staff in every role, a lead and its signed project, the demo events; limits off."""
    monkeypatch.setattr(limiter, "enabled", False)
    with app.app_context():
        load_events()
        cast = make_cast()
        project = two_signed_projects(cast)["a"]
        open_lead = make_lead("Offen Antriebe GmbH", email="o@offen.example", stage="negotiation")
        db.session.commit()
        ids = {
            "lead": project.lead_id,
            "open_lead": open_lead.id,
            "project": project.id,
            "event": db.session.scalar(select(Event.id).order_by(Event.id)),
        }
    yield app, cast, ids
    assert_no_traceback(caplog)


@pytest.mark.parametrize(
    ("who", "page", "action", "method"), TARGETS, ids=[f"{t[3]} {t[2]}" for t in TARGETS]
)
@FUZZ
@given(data=st.data())
def test_crm_form(world, who, page, action, method, data):
    app, cast, ids = world
    client = app.test_client()
    if who:
        with app.app_context():
            sign_in_as(client, getattr(cast, who))
    page, action = page.format(**ids), action.format(**ids)
    baseline, _files = read_form(client.get(page).get_data(as_text=True), action, page)
    case = data.draw(cases(baseline))
    headers = {"Accept": data.draw(st.sampled_from(["text/html", "application/json", "*/*"]))}
    assert_no_server_error(send_case(client, method, action, case, headers=headers), case)
