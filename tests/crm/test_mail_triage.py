"""The CRM's mail triage: mail no lead claimed is listed (HTML never rendered, unreadable mail
shown as text), attached to a lead by a person, or made into a new lead."""

from email.message import EmailMessage

import pytest
from sqlalchemy import select

from core.extensions import db
from core.mail_in.thread import attach, store
from core.models import AuditEntry, InboundMail, Lead, LeadFile, User
from tests.conftest import csrf_token
from tests.factories import make_lead, signed_in

UNREADABLE = b"\xff\xfe<script>alert(1)</script> garbled \x81"


def _stranger_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Pierre Durand <p.durand@durand-industrie.example>"
    msg["To"], msg["Subject"] = "invest@qingyuan-port.example", "Demande d'information"
    msg["Message-ID"] = "<stranger-1@durand-industrie.example>"
    msg.set_content("<p>Bonjour,</p><script>alert(1)</script><p>nous cherchons 30 mu.</p>",
                    subtype="html")  # fmt: skip
    msg.add_attachment(b"%PDF-1.4 fiche", maintype="application", subtype="pdf",
                       filename="fiche.pdf")  # fmt: skip
    return msg.as_bytes()


@pytest.fixture
def waiting(app, cast):
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        lead = make_lead(
            "Durand Industrie SAS", owner=officer, email="info@durand-industrie.example",
            language="fr", country="FR",
        )  # fmt: skip
        mail = store(_stranger_mail(), "INBOX", 1, 1)
        failed = store(UNREADABLE, "INBOX", 1, 2)
        db.session.commit()
        return {"lead": lead.id, "mail": mail.id, "failed": failed.id}


def test_the_triage_page_lists_waiting_mail_as_text(app, cast, waiting):
    client = signed_in(app, cast.officer)
    html = client.get("/crm/inbox").get_data(as_text=True)
    assert "Demande d&#39;information" in html and "nous cherchons 30 mu." in html
    assert "<script>alert(1)</script>" not in html  # neither the HTML mail nor the raw bytes
    assert "&lt;script&gt;alert(1)&lt;/script&gt; garbled" in html
    # The sender's domain suggests the lead.
    assert "Durand Industrie SAS" in html


def test_attaching_a_mail_puts_it_on_the_leads_timeline_with_its_attachment(app, cast, waiting):
    client = signed_in(app, cast.officer)
    token = csrf_token(client.get("/crm/inbox").get_data(as_text=True))
    response = client.post(
        f"/crm/inbox/{waiting['mail']}/attach", data={"csrf_token": token, "lead": waiting["lead"]}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/crm/leads/{waiting['lead']}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pierre Durand wrote to the bureau" in page and "Demande d&#39;information" in page
    with app.app_context():
        mail = db.session.get(InboundMail, waiting["mail"])
        assert (mail.status, mail.lead_id, mail.matched_by) == (
            "threaded",
            waiting["lead"],
            "person",
        )
        assert mail.handled_by_id == cast.officer and mail.raw is None
        [kept] = db.session.scalars(select(LeadFile).where(LeadFile.lead_id == waiting["lead"]))
        assert kept.filename == "fiche.pdf"
        assert db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.entity_type == "InboundMail", AuditEntry.action == "update"
            )
        )
    assert "Demande" not in client.get("/crm/inbox").get_data(as_text=True)


@pytest.mark.parametrize("reference", ["99999", "no-such-code", ""])
def test_attaching_to_no_visible_lead_is_refused_in_words(app, cast, waiting, reference):
    client = signed_in(app, cast.other_officer)  # another team: the lead is not theirs to see
    token = csrf_token(client.get("/crm/inbox").get_data(as_text=True))
    reference = reference or str(waiting["lead"])
    response = client.post(
        f"/crm/inbox/{waiting['mail']}/attach",
        data={"csrf_token": token, "lead": reference},
        follow_redirects=True,
    )
    assert "No lead you can see has this number or code name." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(InboundMail, waiting["mail"]).status == "triage"


def test_a_lead_created_from_an_unreadable_mail_keeps_its_text(app, cast, waiting):
    client = signed_in(app, cast.officer)
    form = client.get(f"/crm/inbox/{waiting['failed']}/lead").get_data(as_text=True)
    response = client.post(
        f"/crm/inbox/{waiting['failed']}/lead",
        data={
            "csrf_token": csrf_token(form), "company_name": "Garbled GmbH", "country": "DE",
            "industry": "precision-machinery", "language": "de", "source": "manual",
            "name": "Unbekannt", "email": "", "contact_language": "de",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        lead = db.session.scalar(select(Lead).where(Lead.company_name == "Garbled GmbH"))
        mail = db.session.get(InboundMail, waiting["failed"])
        assert (mail.lead_id, mail.status) == (lead.id, "threaded")
        assert "garbled" in mail.body_text and lead.owner_id == cast.officer


def test_the_new_lead_form_is_filled_from_the_sender(app, cast, waiting):
    client = signed_in(app, cast.officer)
    html = client.get(f"/crm/inbox/{waiting['mail']}/lead").get_data(as_text=True)
    assert 'value="Pierre Durand"' in html and 'value="p.durand@durand-industrie.example"' in html


def test_anonymising_a_lead_scrubs_the_mail_it_sent_in(app, cast, waiting):
    from core import privacy

    with app.app_context():
        mail = db.session.get(InboundMail, waiting["mail"])
        lead = db.session.get(Lead, waiting["lead"])
        attach(mail, lead, db.session.get(User, cast.officer))
        privacy.anonymise(lead, actor="test")
        db.session.commit()
        mail = db.session.get(InboundMail, waiting["mail"])
        assert (mail.from_address, mail.from_name, mail.body_text) == ("anonymised@invalid", "", "")
        assert mail.message_id == "<stranger-1@durand-industrie.example>"  # never fetched again
