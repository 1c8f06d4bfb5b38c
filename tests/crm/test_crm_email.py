"""Emails from the CRM: template language, editing and preview, outbox and timeline, bad input."""

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Activity, Contact, Lead, OutboxEmail, User
from tests.conftest import csrf_token, translated
from tests.factories import make_cast, make_lead, sign_in_as


@pytest.fixture
def cast(app):
    with app.app_context():
        return make_cast()


@pytest.fixture
def lead(app, cast):
    """A German lead of team A owned by the officer, with its contact's id."""
    with app.app_context():
        lead = make_lead(owner=db.session.get(User, cast.officer))
        db.session.commit()
        return lead.id, lead.contacts[0].id


def open_page(app, client, user_id, url):
    with app.app_context():
        sign_in_as(client, user_id)
    return client.get(url)


def letter(client, lead_id, contact_id, token, **fields):
    data = {
        "csrf_token": token,
        "contact_id": str(contact_id),
        "template": "first_reply",
        "language": "de",
        "subject": "Ihre Anfrage",
        "body": "Guten Tag Frau Müller,\n\nvielen Dank.\n",
        "action": "send",
        **fields,
    }
    return client.post(f"/crm/leads/{lead_id}/email", data=data)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_template_in_the_contacts_language_is_preselected(app, client, cast, lead):
    lead_id, _ = lead
    page = open_page(app, client, cast.officer, f"/crm/leads/{lead_id}/email")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<option selected value="de">' in html
    assert 'value="Ihre Investitionsanfrage zum Industriehafen Qingyuan"' in html
    assert "Guten Tag Anna Müller," in html
    assert "Müller Präzisionstechnik GmbH" in html


def test_the_contacts_own_language_wins_over_the_leads(app, client, cast, lead):
    lead_id, _ = lead
    with app.app_context():
        db.session.add(
            Contact(lead_id=lead_id, name="Claire Dubois", email="claire@m.example", language="fr")
        )
        db.session.commit()
        claire = db.session.scalar(select(Contact.id).where(Contact.name == "Claire Dubois"))
    url = f"/crm/leads/{lead_id}/email?contact={claire}"
    html = open_page(app, client, cast.officer, url).get_data(as_text=True)
    assert '<option selected value="fr">' in html and "Bonjour Claire Dubois," in html


def test_switching_template_and_language(app, client, cast, lead):
    lead_id, _ = lead
    url = f"/crm/leads/{lead_id}/email?template=site_visit_invitation&language=zh"
    html = open_page(app, client, cast.officer, url).get_data(as_text=True)
    assert '<option selected value="zh">' in html
    assert "诚邀Müller Präzisionstechnik GmbH实地考察清源工业港" in html
    en = client.get(f"/crm/leads/{lead_id}/email?template=documents_request&language=en")
    assert "Your project at Qingyuan Industrial Port: documents we need" in en.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "query",
    ["?language=xx&template=../../base&contact=abc", "?contact=999999", "?template=&language="],
)
def test_odd_query_strings_fall_back_to_defaults(app, client, cast, lead, query):
    lead_id, _ = lead
    page = open_page(app, client, cast.officer, f"/crm/leads/{lead_id}/email{query}")
    assert page.status_code == 200
    assert "Ihre Investitionsanfrage" in page.get_data(as_text=True)


def test_preview_shows_the_edited_text_and_sends_nothing(app, client, cast, lead):
    lead_id, contact_id = lead
    page = open_page(app, client, cast.officer, f"/crm/leads/{lead_id}/email")
    token = csrf_token(page.get_data(as_text=True))
    preview = letter(client, lead_id, contact_id, token, action="preview", subject="Edited subject")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Edited subject" in html and 'value="send"' in html
    assert "anna@mueller.example" in html
    back = letter(client, lead_id, contact_id, token, action="edit", subject="Edited subject")
    assert back.status_code == 200 and 'value="preview"' in back.get_data(as_text=True)
    with app.app_context():
        assert count(OutboxEmail) == 0 and count(Activity) == 0


def test_send_queues_the_edited_email_logs_it_and_delivers(app, client, cast, lead, smtp_server):
    lead_id, contact_id = lead
    page = open_page(app, client, cast.officer, f"/crm/leads/{lead_id}/email")
    token = csrf_token(page.get_data(as_text=True))
    response = letter(client, lead_id, contact_id, token, subject="Ihre Anfrage – Termin")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/crm/leads/{lead_id}"
    with app.app_context():
        email = db.session.scalar(select(OutboxEmail))
        assert (email.kind, email.lead_id, email.language) == ("crm", lead_id, "de")
        assert (email.to_address, email.status) == ("anna@mueller.example", "sent")
        assert email.subject == "Ihre Anfrage – Termin"
        activity = db.session.scalar(select(Activity))
        assert (activity.kind, activity.direction) == ("email", "out")
        assert activity.subject == "Ihre Anfrage – Termin"
        assert db.session.get(Lead, lead_id).first_response_at is not None
    (received,) = smtp_server.to("anna@mueller.example")
    assert received.subject == "Ihre Anfrage – Termin"
    assert "vielen Dank." in received.body


def test_mail_down_keeps_the_email_queued(app, client, cast, lead):
    lead_id, contact_id = lead
    page = open_page(app, client, cast.officer, f"/crm/leads/{lead_id}/email")
    response = letter(client, lead_id, contact_id, csrf_token(page.get_data(as_text=True)))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(OutboxEmail.status)) == "queued"
        assert count(Activity) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": "Hello\r\nBcc: victim@example.com"},
        {"subject": "Hello\nthere"},
        {"subject": ""},
        {"subject": "x" * 201},
        {"body": ""},
        {"body": "x" * 20_001},
        {"contact": "abc"},
        {"contact": "999999"},
        {"language": "xx"},
        {"template": "../../base"},
    ],
)
def test_bad_input_is_refused_and_nothing_is_sent(app, client, cast, lead, fields):
    lead_id, contact_id = lead
    page = open_page(app, client, cast.officer, f"/crm/leads/{lead_id}/email")
    fields = dict(fields)
    contact_id = fields.pop("contact", contact_id)
    response = letter(
        client, lead_id, contact_id, csrf_token(page.get_data(as_text=True)), **fields
    )
    assert response.status_code == 400
    assert "error-summary" in response.get_data(as_text=True)
    with app.app_context():
        assert count(OutboxEmail) == 0 and count(Activity) == 0


def test_a_contact_of_another_lead_cannot_be_written_to(app, client, cast, lead):
    lead_id, _ = lead
    with app.app_context():
        other = make_lead("Other GmbH", email="boss@other.example", owner=None)
        db.session.commit()
        stranger = other.contacts[0].id
    page = open_page(app, client, cast.officer, f"/crm/leads/{lead_id}/email")
    response = letter(client, lead_id, stranger, csrf_token(page.get_data(as_text=True)))
    assert response.status_code == 400
    with app.app_context():
        assert count(OutboxEmail) == 0


def test_without_csrf_nothing_is_sent(app, client, cast, lead):
    lead_id, contact_id = lead
    open_page(app, client, cast.officer, f"/crm/leads/{lead_id}/email")
    assert letter(client, lead_id, contact_id, "").status_code == 400
    with app.app_context():
        assert count(OutboxEmail) == 0


def test_who_may_write(app, cast, lead):
    lead_id, _ = lead
    url = f"/crm/leads/{lead_id}/email"
    expected = {
        cast.officer: 200,
        cast.teammate: 200,  # same team
        cast.manager: 200,
        cast.other_officer: 404,
        cast.leader: 403,
    }
    for user_id, status in expected.items():
        assert open_page(app, app.test_client(), user_id, url).status_code == status
    assert (
        open_page(app, app.test_client(), cast.officer, "/crm/leads/99999/email").status_code == 404
    )


def test_lead_without_an_email_address(app, client, cast):
    with app.app_context():
        lead = make_lead(owner=db.session.get(User, cast.officer), email=None, phone="+4930123")
        db.session.commit()
        lead_id = lead.id
    page = open_page(app, client, cast.officer, f"/crm/leads/{lead_id}/email")
    assert page.status_code == 200
    assert translated(app, "No contact of this lead has an email address.") in page.get_data(
        as_text=True
    )
    token = csrf_token(page.get_data(as_text=True))
    assert letter(client, lead_id, 1, token).status_code == 200
    with app.app_context():
        assert count(OutboxEmail) == 0
