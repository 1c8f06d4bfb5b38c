"""Events in the CRM: the list, the event page, creating and editing with conflicts, roles."""

import re
from datetime import date
from decimal import Decimal

import pytest
from flask import url_for
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry, Event, User
from tests.conftest import csrf_token
from tests.factories import make_event, make_lead, signed_in


def form_data(**overrides) -> dict:
    data = {
        "slug": "munich-2027",
        "name_zh": "慕尼黑推介会",
        "name_en": "Munich presentation",
        "name_de": "",
        "name_fr": "",
        "city_en": "Munich",
        "venue_en": "Hotel Bayerischer Hof",
        "booth_en": "Room 2",
        "summary_en": "Land and incentives.",
        "starts_on": "2027-03-16",
        "ends_on": "2027-03-16",
        "target_industries": ["precision-machinery"],
        "budget": "120000",
        "notes": "Bring flyers.",
        "published": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_type == "Event")
        )


# -- list and page -------------------------------------------------------------------------


def test_list_shows_upcoming_first_then_past_with_lead_counts(app, cast):
    with app.app_context():
        soon = make_event("soon-fair", 5)
        make_event("later-fair", 40)
        past = make_event("past-fair", -30)
        for _ in range(2):
            make_lead(email=None).event_id = soon.id
        make_lead("Other Co", email=None).event_id = past.id
        db.session.commit()
    html = signed_in(app, cast.officer).get("/crm/events").get_data(as_text=True)
    assert html.index("soon-fair fair") < html.index("later-fair fair") < html.index("past-fair")
    assert html.index("past-fair") > html.index('id="past-title"')
    counts = re.findall(r'<td class="number">(\d+)</td>', html)
    assert counts == ["2", "0", "1"]
    assert 'href="/crm/events/new"' not in html  # officers do not edit events
    assert "Events" in html  # in the navigation


def test_event_page_shows_everything_and_links(app, cast):
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        event = make_event(budget=Decimal("250000"), target_industries=["electronics"])
        event.staff = [officer]
        event.owner = officer
        db.session.get(User, cast.manager).language = "zh"
        db.session.commit()
        event_id = event.id
    client = signed_in(app, cast.manager)
    html = client.get(f"/crm/events/{event_id}").get_data(as_text=True)
    assert "test-fair 展会" in html  # staff UI in Chinese by default
    assert "Hall 3, booth A12" in html
    assert "<dd>li</dd>" in html  # the officer attends and owns the leads
    for lang in ("zh", "en", "de", "fr"):
        assert f'href="http://localhost/{lang}/events/test-fair"' in html
        assert f"/{lang}/events/test-fair/qr.svg" in html
        assert f"/{lang}/events/test-fair/qr.png" in html
    assert f'href="/crm/events/{event_id}/edit"' in html
    assert f'href="/crm/events/{event_id}/results"' in html
    # Booth capture and import are other features: linked only when they exist.
    for endpoint in ("crm.capture.capture", "crm.imports.import_new"):
        if endpoint in app.view_functions:
            with app.test_request_context():
                assert url_for(endpoint, event_id=event_id) in html


def test_unknown_event_is_404(app, cast):
    client = signed_in(app, cast.manager)
    for url in ("/crm/events/999", "/crm/events/99999999999", "/crm/events/999/edit"):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "role, view, edit, results",
    [
        ("admin", 200, 200, 200),
        ("manager", 200, 200, 200),
        ("officer", 200, 403, 403),
        ("leader", 200, 403, 200),
    ],
)
def test_roles(app, cast, role, view, edit, results):
    with app.app_context():
        event_id = make_event().id
        db.session.commit()
    client = signed_in(app, cast.by_role()[role])
    assert client.get("/crm/events").status_code == view
    assert client.get(f"/crm/events/{event_id}").status_code == view
    assert client.get("/crm/events/new").status_code == edit
    assert client.get(f"/crm/events/{event_id}/edit").status_code == edit
    assert client.get(f"/crm/events/{event_id}/results").status_code == results
    assert client.get("/crm/events/results").status_code == results


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/crm/events")
    assert response.status_code == 302 and "/crm/login" in response.headers["Location"]


# -- creating ------------------------------------------------------------------------------


def test_create_event(app, cast):
    client = signed_in(app, cast.manager)
    token = csrf_token(client.get("/crm/events/new").get_data(as_text=True))
    data = form_data(csrf_token=token, staff=[str(cast.officer), str(cast.teammate)])
    data["owner_id"] = str(cast.officer)
    response = client.post("/crm/events/new", data=data)
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "munich-2027"))
        assert event.name == {"zh": "慕尼黑推介会", "en": "Munich presentation"}
        assert event.city == {"en": "Munich"}
        assert event.starts_on == date(2027, 3, 16)
        assert event.budget == Decimal("120000.00")
        assert event.target_industries == ["precision-machinery"]
        assert sorted(u.id for u in event.staff) == sorted([cast.officer, cast.teammate])
        assert event.owner_id == cast.officer and event.published
        assert response.headers["Location"].endswith(f"/crm/events/{event.id}")
    assert audit_count(app) == 1


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"ends_on": "2027-03-15"}, "The last day must not be before the first day."),
        ({"name_en": ""}, "name in this language."),
        ({"slug": "Bad Slug!"}, "Use lower-case letters, digits and hyphens only."),
        ({"starts_on": "16.03.2027"}, 'href="#starts_on"'),
        ({"budget": "lots"}, "Enter a positive amount in figures"),
        ({"budget": "-5"}, "Enter a positive amount in figures"),
        ({"target_industries": ["no-such-industry"]}, 'href="#target_industries"'),
        ({"staff": ["999999"]}, 'href="#staff"'),
        ({"staff": ["abc"]}, 'href="#staff"'),
        ({"budget": "1e20"}, "Enter a positive amount in figures"),
        ({"owner_id": "999999"}, 'href="#owner_id"'),
        ({"name_zh": "x" * 201}, "Use 200 characters or fewer"),
        ({"city_en": "a\nb"}, "Use a single line"),
    ],
)
def test_bad_input_is_refused_and_kept(app, cast, overrides, message):
    client = signed_in(app, cast.manager)
    token = csrf_token(client.get("/crm/events/new").get_data(as_text=True))
    response = client.post("/crm/events/new", data=form_data(csrf_token=token, **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'value="Hotel Bayerischer Hof"' in html  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0
    assert audit_count(app) == 0


def test_duplicate_slug_is_refused(app, cast):
    with app.app_context():
        make_event("munich-2027")
        db.session.commit()
    client = signed_in(app, cast.manager)
    token = csrf_token(client.get("/crm/events/new").get_data(as_text=True))
    response = client.post("/crm/events/new", data=form_data(csrf_token=token))
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 1


def test_post_without_csrf_is_refused(app, cast):
    client = signed_in(app, cast.manager)
    response = client.post("/crm/events/new", data=form_data())
    assert response.status_code in (400, 422)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0


# -- editing -------------------------------------------------------------------------------


def _edit_form(client, event_id: int) -> dict:
    html = client.get(f"/crm/events/{event_id}/edit").get_data(as_text=True)
    hidden = dict(
        re.findall(r'name="(version|original|csrf_token)" type="hidden" value="([^"]*)"', html)
    )
    hidden["original"] = hidden["original"].replace("&#34;", '"').replace("&amp;", "&")
    return hidden


def test_edit_event_writes_one_audit_entry(app, cast):
    with app.app_context():
        event_id = make_event().id
        db.session.commit()
    client = signed_in(app, cast.manager)
    hidden = _edit_form(client, event_id)
    data = form_data(**hidden, slug="ignored", staff=[str(cast.officer)])
    response = client.post(f"/crm/events/{event_id}/edit", data=data)
    assert response.status_code == 302
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.slug == "test-fair"  # printed in QR codes: never changed
        assert event.name["en"] == "Munich presentation"
        assert [u.id for u in event.staff] == [cast.officer]
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "Event"))
        assert entry.action == "update"
        assert entry.changes["staff"] == [[], [cast.officer]]
        assert "slug" not in entry.changes
    assert audit_count(app) == 1
    # the same values again: nothing to save, nothing written
    response = client.post(
        f"/crm/events/{event_id}/edit", data={**data, **_edit_form(client, event_id)}
    )
    assert response.status_code == 302
    assert audit_count(app) == 1


def test_edit_conflict_is_shown_and_nothing_saved(app, cast):
    with app.app_context():
        event_id = make_event().id
        db.session.commit()
    client = signed_in(app, cast.manager)
    hidden = _edit_form(client, event_id)
    with app.app_context():  # someone else saves meanwhile
        event = db.session.get(Event, event_id)
        event.notes = "Changed by a colleague"
        db.session.commit()
    response = client.post(f"/crm/events/{event_id}/edit", data=form_data(**hidden))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Changed by a colleague" in html
    assert 'value="Hotel Bayerischer Hof"' in html
    with app.app_context():
        assert db.session.get(Event, event_id).notes == "Changed by a colleague"
    assert audit_count(app) == 0
    # saving again from the conflict page is a deliberate choice: it goes through
    token = dict(
        re.findall(r'name="(version|original|csrf_token)" type="hidden" value="([^"]*)"', html)
    )
    token["original"] = token["original"].replace("&#34;", '"')
    response = client.post(f"/crm/events/{event_id}/edit", data=form_data(**token))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Event, event_id).notes == "Bring flyers."


def test_edit_bad_input_is_refused(app, cast):
    with app.app_context():
        event_id = make_event().id
        db.session.commit()
    client = signed_in(app, cast.admin)
    hidden = _edit_form(client, event_id)
    response = client.post(
        f"/crm/events/{event_id}/edit", data=form_data(**hidden, ends_on="2027-01-01")
    )
    assert response.status_code == 422
    assert audit_count(app) == 0


def test_demo_fair_gets_the_demo_officers_and_a_budget(app):
    from core.events import load_events
    from demo.accounts import DEMO_ACCOUNTS
    from demo.events import DEMO_BUDGET, DEMO_EVENT, staff_demo_fair
    from tests.factories import make_user

    with app.app_context():
        load_events()
        assert not staff_demo_fair()  # no demo accounts yet: nothing assigned, nothing invented
        fair = db.session.scalar(select(Event).where(Event.slug == DEMO_EVENT))
        assert fair.staff == [] and fair.budget is None
        for email, _name, role, _team in DEMO_ACCOUNTS:
            make_user(role, email)
        db.session.commit()
        assert staff_demo_fair()
        fair = db.session.scalar(select(Event).where(Event.slug == DEMO_EVENT))
        assert fair.budget == DEMO_BUDGET
        assert sorted(u.email for u in fair.staff) == [
            "officer2@qingyuan-port.example",
            "officer@qingyuan-port.example",
        ]
        assert fair.owner.email == "officer@qingyuan-port.example"
        # what the bureau then sets in the CRM survives the next run
        fair.budget = Decimal("1")
        db.session.commit()
        assert not staff_demo_fair()
        assert db.session.scalar(select(Event.budget).where(Event.slug == DEMO_EVENT)) == 1


def test_crm_event_list_and_page_give_the_days_condensed(app, cast):
    with app.app_context():
        event = make_event("winter-fair", starts_on=date(2026, 11, 30), ends_on=date(2026, 12, 2))
        db.session.commit()
        event_id = event.id
    client = signed_in(app, cast.officer)  # officers read the CRM in English here
    listing = client.get("/crm/events").get_data(as_text=True)
    assert "30 November – 2 December 2026" in listing
    detail = client.get(f"/crm/events/{event_id}").get_data(as_text=True)
    assert "30 November – 2 December 2026" in detail
