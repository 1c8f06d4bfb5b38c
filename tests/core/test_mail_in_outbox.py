"""Mail out that can be answered: From the bureau under the officer's name, Reply-To the lead's
reply address (or its token in the subject), the stored Message-ID, In-Reply-To/References when
answering a received mail, Auto-Submitted only on automatic mail; the inquiry notification's
Reply-To is the investor."""

from email.utils import getaddresses

from sqlalchemy import select

from core import outbox
from core.extensions import db
from core.mail_in import addresses
from core.models import InboundMail, OutboxEmail
from tests.factories import make_lead, make_user


def _send(app, **fields) -> int:
    with app.app_context():
        owner = make_user("officer", "li@bureau.example", name="李招商")
        lead = make_lead(owner=owner)
        email = outbox.queue(
            kind="crm", to="anna@mueller.example", language="de", subject="Ihr Projekt",
            body="Guten Tag", lead_id=lead.id, officer_name=owner.name, **fields,
        )  # fmt: skip
        db.session.commit()
        outbox.send_now([email.id])
        return lead.id


def test_an_officers_mail_comes_from_the_bureau_and_answers_to_the_lead(app, smtp_server):
    lead_id = _send(app, automatic=False, answerable_by_lead=True)
    (received,) = smtp_server.received
    message = received.message
    [(name, address)] = getaddresses([str(message["From"])])
    assert (name, address) == (
        "李招商 — Qingyuan Investment Bureau",
        "invest@qingyuan-port.example",
    )
    with app.app_context():
        assert message["Reply-To"] == addresses.reply_address(lead_id)
        assert addresses.lead_from_addresses([str(message["Reply-To"])], "") == lead_id
        stored = db.session.scalars(select(OutboxEmail)).one()
        assert message["Message-ID"] == stored.message_id
    assert message["Auto-Submitted"] is None and message["In-Reply-To"] is None


def test_the_token_rides_in_the_subject_where_plus_addresses_do_not_work(app, smtp_server):
    app.config["MAIL_REPLY_ROUTE"] = "subject"
    try:
        lead_id = _send(app, automatic=False, answerable_by_lead=True)
        (received,) = smtp_server.received
        assert received.message["Reply-To"] == "invest@qingyuan-port.example"
        with app.app_context():
            assert addresses.lead_from_addresses([], f"Re: {received.subject}") == lead_id
            assert received.subject == f"Ihr Projekt [QY-{addresses.token(lead_id)}]"
    finally:
        app.config["MAIL_REPLY_ROUTE"] = "address"


def test_an_answer_to_a_received_mail_continues_its_thread(app, smtp_server):
    with app.app_context():
        received_mail = InboundMail(
            message_id="<reply-1@mueller.example>",
            references="<first@qingyuan-port.example>",
            imap_folder="INBOX",
            imap_uidvalidity=1,
            imap_uid=1,
            status="threaded",
        )
        db.session.add(received_mail)
        db.session.commit()
        _send(app, automatic=False, answerable_by_lead=True, answering=received_mail)
    message = smtp_server.received[0].message
    assert message["In-Reply-To"] == "<reply-1@mueller.example>"
    assert message["References"] == "<first@qingyuan-port.example> <reply-1@mueller.example>"


def test_automatic_mail_says_so_and_keeps_the_no_reply_sender(app, smtp_server):
    _send(app)
    message = smtp_server.received[0].message
    assert message["Auto-Submitted"] == "auto-generated" and message["Reply-To"] is None
    assert "noreply@" in str(message["From"])


def test_the_officers_answer_from_the_crm_continues_the_investors_thread(app, smtp_server):
    from tests.conftest import csrf_token
    from tests.factories import signed_in

    with app.app_context():
        owner = make_user("officer", "li@bureau.example", name="李招商")
        lead = make_lead(owner=owner)
        db.session.add(
            InboundMail(
                message_id="<question@mueller.example>", from_address="anna@mueller.example",
                imap_folder="INBOX", imap_uidvalidity=1, imap_uid=1, status="threaded",
                lead_id=lead.id,
            )
        )  # fmt: skip
        db.session.commit()
        lead_id, contact_id, owner_id = lead.id, lead.contacts[0].id, owner.id
    client = signed_in(app, owner_id)
    page = client.get(f"/crm/leads/{lead_id}/email").get_data(as_text=True)
    response = client.post(
        f"/crm/leads/{lead_id}/email",
        data={
            "csrf_token": csrf_token(page), "contact_id": str(contact_id),
            "template": "first_reply", "language": "de", "subject": "AW: Ihre Frage",
            "body": "Guten Tag", "action": "send",
        },
    )  # fmt: skip
    assert response.status_code == 302
    (received,) = smtp_server.to("anna@mueller.example")
    assert received.message["In-Reply-To"] == "<question@mueller.example>"
    assert "李招商" in str(received.message["From"]) and received.message["Auto-Submitted"] is None
