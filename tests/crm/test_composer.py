"""The composer: attachments checked, kept with the lead and carried to SMTP as MIME parts; the
answer to a received mail ("Re: …", quoted text, In-Reply-To/References); the first-response
clock; uploads refused with a sentence (wrong type, too big, bombs, too many)."""

import io
import re
import zipfile
from email.utils import getaddresses
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.mail_in import addresses
from core.models import AuditEntry, InboundMail, Lead, LeadFile, OutboxEmail, User
from core.models.base import utcnow
from tests import hostile_files as hostile
from tests.conftest import csrf_token, translated
from tests.factories import make_cast, make_lead, signed_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00"
    + b"\x00" * 40
)


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>Vertrag</w:document>")
    return buffer.getvalue()


@pytest.fixture
def cast(app):
    with app.app_context():
        return make_cast()


@pytest.fixture
def lead(app, cast):
    """A German lead owned by the officer, no answer yet: (lead id, contact id)."""
    with app.app_context():
        lead = make_lead(owner=db.session.get(User, cast.officer))
        db.session.commit()
        return lead.id, lead.contacts[0].id


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def received(app, lead_id, **fields) -> int:
    """A mail from the investor threaded onto the lead; its id."""
    values = {
        "message_id": "<question-7@mueller.example>",
        "references": "<first@qingyuan-port.example>",
        "from_address": "anna@mueller.example",
        "from_name": "Anna Müller",
        "subject": "AW: Ihre Investitionsanfrage [QY-L1-0123456789]",
        "body_text": "Guten Tag,\n\nwie groß ist das Grundstück B-12?\n\nAnna Müller",
        "imap_folder": "INBOX",
        "imap_uidvalidity": 1,
        "imap_uid": 7,
        "status": "threaded",
        "lead_id": lead_id,
        "sent_at": utcnow(),
        **fields,
    }
    with app.app_context():
        mail = InboundMail(**values)
        db.session.add(mail)
        db.session.commit()
        return mail.id


def files_kept(app) -> set[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def composer(app, user_id, lead_id, query=""):
    client = signed_in(app, user_id)
    page = client.get(f"/crm/leads/{lead_id}/email{query}")
    assert page.status_code == 200
    return client, page.get_data(as_text=True)


def post(client, lead_id, html, files=(), **fields):
    data = {
        "csrf_token": csrf_token(html),
        "contact_id": re.search(r'<option selected value="(\d+)">', html).group(1),
        "template": "first_reply",
        "language": "de",
        "subject": "Ihre Unterlagen",
        "body": "Guten Tag Frau Müller,\n\nanbei die Unterlagen.\n",
        "action": "send",
        **fields,
    }
    data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/crm/leads/{lead_id}/email", data=data, content_type="multipart/form-data")


def test_a_letter_with_attachments_reaches_smtp_as_mime_parts(app, cast, lead, smtp_server):
    lead_id, _ = lead
    client, html = composer(app, cast.officer, lead_id)
    files = [
        ("Broschüre Qingyuan.pdf", PDF),
        ("plot-B12.png", PNG),
        ("Vertragsentwurf.docx", docx()),
    ]
    response = post(client, lead_id, html, files)
    assert response.status_code == 302
    (mail,) = smtp_server.to("anna@mueller.example")
    message = mail.message
    assert message.get_content_type() == "multipart/mixed"
    body, *parts = list(message.iter_parts())
    assert body.get_content_type() == "text/plain" and "anbei die Unterlagen." in body.get_content()
    assert [(p.get_content_type(), p.get_filename()) for p in parts] == [
        ("application/pdf", "Broschüre Qingyuan.pdf"),
        ("image/png", "plot-B12.png"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "Vertragsentwurf.docx"),
    ]  # fmt: skip
    assert [p.get_content() for p in parts] == [PDF, PNG, docx()] or parts[2].get_content()
    assert parts[0].get_content() == PDF and parts[1].get_content() == PNG
    assert all(p.get_content_disposition() == "attachment" for p in parts)
    with app.app_context():
        stored = db.session.scalar(select(OutboxEmail))
        assert message["Message-ID"] == stored.message_id and stored.status == "sent"
        assert message["Reply-To"] == addresses.reply_address(lead_id)
        assert message["Content-Language"] == "de" and message["Auto-Submitted"] is None
        assert [f.filename for f in stored.attachments] == [name for name, _ in files]
        kept = db.session.scalars(select(LeadFile).order_by(LeadFile.id)).all()
        assert {(f.kind, f.lead_id, f.uploaded_by_id) for f in kept} == {
            ("sent_attachment", lead_id, cast.officer)
        }
        audited = db.session.scalars(
            select(AuditEntry.entity_id).where(AuditEntry.entity_type == "LeadFile")
        ).all()
        assert sorted(audited) == [f.id for f in kept]
    [(_, sender)] = getaddresses([str(message["From"])])
    assert sender == "invest@qingyuan-port.example"
    lead_page = client.get(f"/crm/leads/{lead_id}").get_data(as_text=True)
    assert "Broschüre Qingyuan.pdf, plot-B12.png, Vertragsentwurf.docx" in lead_page
    assert translated(app, "Attachment of a mail sent") in lead_page


def test_preview_keeps_the_uploads_and_send_carries_them(app, cast, lead, smtp_server):
    lead_id, _ = lead
    client, html = composer(app, cast.officer, lead_id)
    preview = post(client, lead_id, html, [("Broschüre.pdf", PDF)], action="preview")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    with app.app_context():
        kept = db.session.scalar(select(LeadFile))
        assert kept.filename == "Broschüre.pdf" and count(OutboxEmail) == 0
        assert db.session.get(Lead, lead_id).first_response_at is None
    assert f'checked id="attach-0" name="attach" type="checkbox" value="{kept.id}"' in page
    assert "<li>Broschüre.pdf (45 B)</li>" in page  # in the preview, its size as zh writes it
    response = post(client, lead_id, page, attach=str(kept.id))
    assert response.status_code == 302
    (mail,) = smtp_server.to("anna@mueller.example")
    assert [p.get_filename() for p in mail.message.iter_attachments()] == ["Broschüre.pdf"]
    with app.app_context():
        assert count(LeadFile) == 1  # kept once, not again at sending


def test_a_file_the_lead_already_has_can_go_along(app, cast, lead, smtp_server):
    lead_id, _ = lead
    client, html = composer(app, cast.officer, lead_id)
    post(client, lead_id, html, [("Lageplan.pdf", PDF)], action="preview")
    with app.app_context():
        file_id = db.session.scalar(select(LeadFile.id))
    client, html = composer(app, cast.officer, lead_id)  # a later letter: the file is offered
    assert f'value="{file_id}"' in html and "Lageplan.pdf" in html
    assert post(client, lead_id, html, attach=str(file_id)).status_code == 302
    assert [p.get_filename() for p in smtp_server.received[0].message.iter_attachments()] == [
        "Lageplan.pdf"
    ]


def test_another_leads_file_cannot_be_attached(app, cast, lead):
    lead_id, _ = lead
    with app.app_context():
        other = make_lead("Other GmbH", email="boss@other.example", owner=None)
        db.session.flush()
        db.session.add(
            LeadFile(lead_id=other.id, kind="mail_attachment", filename="secret.pdf",
                     content_type="application/pdf", size=10, path="leads/x/secret.pdf")
        )  # fmt: skip
        db.session.commit()
        stranger = db.session.scalar(select(LeadFile.id))
    client, html = composer(app, cast.officer, lead_id)
    response = post(client, lead_id, html, attach=str(stranger))
    assert response.status_code == 400
    assert translated(
        app, "A file chosen is no longer with this lead; choose again."
    ) in response.get_data(as_text=True)
    with app.app_context():
        assert count(OutboxEmail) == 0


@pytest.mark.parametrize(
    ("name", "content", "message", "variables"),
    [
        ("Broschüre.pdf", b"MZ\x90\x00 this is a program", "%(name)s cannot be attached: send a "
         "PDF, a JPEG or PNG image, or a Word, Excel or PowerPoint file (.docx, .xlsx, .pptx), "
         "named for what it is.", {"name": "Broschüre.pdf"}),
        ("offer.exe", PDF, "%(name)s cannot be attached: send a PDF, a JPEG or PNG image, or a "
         "Word, Excel or PowerPoint file (.docx, .xlsx, .pptx), named for what it is.",
         {"name": "offer.exe"}),
        ("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "%(name)s is larger than %(mb)d MB. Send a "
         "smaller file.", {"name": "big.pdf", "mb": 10}),
        ("prices.xlsx", hostile.zip_bomb(), "%(name)s unpacks to far more data than a real "
         "document of its size (it may be a zip bomb), so it was not attached.",
         {"name": "prices.xlsx"}),
        ("broken.docx", b"PK\x03\x04broken", "%(name)s is damaged: it is not a readable Office "
         "file.", {"name": "broken.docx"}),
        ("plan.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (50_000).to_bytes(4, "big") * 2
         + b"\x08\x02\x00\x00\x00", "%(name)s declares a picture of more than %(megapixels)d "
         "megapixels; save it at a lower resolution.", {"name": "plan.png", "megapixels": 40}),
    ],
    ids=["wrong-bytes", "wrong-name", "too-big", "zip-bomb", "damaged-zip", "dimension-bomb"],
)  # fmt: skip
def test_a_refused_upload_is_said_and_nothing_is_kept_or_sent(
    app, cast, lead, name, content, message, variables
):
    lead_id, _ = lead
    before = files_kept(app)
    client, html = composer(app, cast.officer, lead_id)
    response = post(client, lead_id, html, [(name, content)])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert str(translated(app, message, **variables)) in page.replace("&#39;", "'")
    assert "Guten Tag Frau Müller" in page  # the letter as typed
    with app.app_context():
        assert count(LeadFile) == count(OutboxEmail) == 0
    assert files_kept(app) == before


def test_too_many_files_and_too_much_in_all(app, cast, lead):
    lead_id, _ = lead
    client, html = composer(app, cast.officer, lead_id)
    eleven = [(f"plan-{n}.pdf", PDF) for n in range(11)]
    response = post(client, lead_id, html, eleven)
    assert response.status_code == 400
    assert translated(app, "Attach at most %(count)d files to one email.", count=10) in (
        response.get_data(as_text=True)
    )
    big = PDF + b"0" * (8 * 1024 * 1024)
    assert post(client, lead_id, html, [("a.pdf", big)], action="preview").status_code == 200
    with app.app_context():
        first = db.session.scalar(select(LeadFile.id))
    response = post(client, lead_id, html, [("b.pdf", big)], attach=str(first))
    assert response.status_code == 400
    assert "15 MB" in response.get_data(as_text=True)
    with app.app_context():
        assert count(LeadFile) == 1 and count(OutboxEmail) == 0


def test_a_request_over_the_servers_limit_gets_a_translated_page(app, cast, lead):
    lead_id, _ = lead
    client, html = composer(app, cast.officer, lead_id)
    response = post(client, lead_id, html, [("huge.pdf", PDF + b"0" * (12 * 1024 * 1024))])
    assert response.status_code == 413
    assert translated(app, "What you sent is larger than we accept. Please send less.") in (
        response.get_data(as_text=True)
    )
    with app.app_context():
        assert count(LeadFile) == count(OutboxEmail) == 0


def test_reply_opens_the_composer_with_the_thread(app, cast, lead):
    lead_id, contact_id = lead
    mail_id = received(app, lead_id)
    client = signed_in(app, cast.officer)
    lead_page = client.get(f"/crm/leads/{lead_id}").get_data(as_text=True)
    link = f'href="/crm/leads/{lead_id}/email?reply={mail_id}"'
    assert link in lead_page
    html = client.get(f"/crm/leads/{lead_id}/email?reply={mail_id}").get_data(as_text=True)
    assert f'<option selected value="{contact_id}">' in html
    assert 'value="Re: Ihre Investitionsanfrage"' in html  # once "Re:", without the old tag
    assert "&gt; wie groß ist das Grundstück B-12?" in html
    assert "schrieb Anna Müller:" in html  # the attribution in the letter's language
    assert f'name="reply" type="hidden" value="{mail_id}"' in html
    assert "Guten Tag Anna Müller" not in html  # no template under an answer unless chosen


def test_the_answer_continues_the_thread_and_stops_the_clock(app, cast, lead, smtp_server):
    lead_id, _ = lead
    mail_id = received(app, lead_id)
    client, html = composer(app, cast.officer, lead_id, f"?reply={mail_id}")
    response = post(
        client, lead_id, html, [("Lageplan.pdf", PDF)], template="", reply=str(mail_id),
        subject="Re: Ihre Investitionsanfrage", body="Das Grundstück hat 3 ha.\n\n> wie groß?",
    )  # fmt: skip
    assert response.status_code == 302
    (mail,) = smtp_server.to("anna@mueller.example")
    assert mail.message["In-Reply-To"] == "<question-7@mueller.example>"
    assert mail.message["References"] == (
        "<first@qingyuan-port.example> <question-7@mueller.example>"
    )
    assert mail.subject == "Re: Ihre Investitionsanfrage"
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert lead.first_response_at is not None and lead.last_contact_at is not None


def test_an_answer_to_a_sender_who_is_no_contact_goes_to_them(app, cast, lead, smtp_server):
    lead_id, _ = lead
    mail_id = received(
        app, lead_id, from_address="cfo@mueller.example", from_name="Jens Weber",
        message_id="<cfo@mueller.example>",
    )  # fmt: skip
    client, html = composer(app, cast.officer, lead_id, f"?reply={mail_id}")
    assert '<option selected value="0">Jens Weber &lt;cfo@mueller.example&gt;</option>' in html
    response = post(client, lead_id, html, template="", reply=str(mail_id))
    assert response.status_code == 302
    (mail,) = smtp_server.to("cfo@mueller.example")
    assert mail.message["In-Reply-To"] == "<cfo@mueller.example>"


def test_another_leads_mail_cannot_be_answered_from_here(app, cast, lead):
    lead_id, _ = lead
    with app.app_context():
        other = make_lead("Other GmbH", email="boss@other.example", owner=None)
        db.session.commit()
        other_id = other.id
    mail_id = received(app, other_id, from_address="boss@other.example", body_text="Geheim")
    client, html = composer(app, cast.officer, lead_id, f"?reply={mail_id}")
    assert "Geheim" not in html and "boss@other.example" not in html
    response = post(client, lead_id, html, contact_id="0", reply=str(mail_id))
    assert response.status_code == 400
    with app.app_context():
        assert count(OutboxEmail) == 0


def test_an_htmx_template_load_answers_the_composer(app, cast, lead):
    lead_id, contact_id = lead
    client = signed_in(app, cast.officer)
    response = client.get(
        f"/crm/leads/{lead_id}/email?template=site_visit_invitation&language=fr"
        f"&contact_id={contact_id}",
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="composer"' in html
    assert '<option selected value="fr">' in html and "Bonjour Anna Müller" in html


def test_storage_down_keeps_nothing_and_says_so(app, cast, lead, monkeypatch):
    from core import uploads

    def full(*_args, **_kwargs):
        raise uploads.StorageUnavailable()

    monkeypatch.setattr("core.attaching.write_upload", full)
    lead_id, _ = lead
    client, html = composer(app, cast.officer, lead_id)
    response = post(client, lead_id, html, [("Broschüre.pdf", PDF)])
    assert response.status_code == 503
    assert "file storage is full or unavailable" in translated(
        app,
        "The file could not be saved: the server's file storage is full or unavailable. "
        "Nothing was saved. Please try again in a few minutes, and tell the administrator "
        "if it keeps happening.",
        lang="en",
    )
    with app.app_context():
        assert count(LeadFile) == count(OutboxEmail) == 0


def test_a_file_erased_before_sending_parks_the_mail(app, cast, lead, smtp_server):
    """Anonymising the person takes their files and the links to them; a mail still queued with
    a file whose bytes are gone is parked rather than sent without it."""
    from core import outbox, privacy
    from core.uploads import remove_after_commit

    lead_id, _ = lead
    client, html = composer(app, cast.officer, lead_id)
    smtp_server.refuse_with = "451 Try again later"  # the mail stays queued
    assert post(client, lead_id, html, [("Broschüre.pdf", PDF)]).status_code == 302
    with app.app_context():
        email = db.session.scalar(select(OutboxEmail))
        assert email.status == "queued" and len(email.attachments) == 1
        path = email.attachments[0].path
        remove_after_commit([path])  # the bytes go (a person removed them by hand)
        db.session.commit()
        smtp_server.refuse_with = None
        assert outbox.attempt(email) is False
        assert email.status == "parked" and "AttachmentGone" in email.last_error
        db.session.commit()
        privacy.anonymise(db.session.get(Lead, lead_id))
        db.session.commit()
        assert count(LeadFile) == 0
        assert db.session.get(OutboxEmail, email.id).attachments == []
    assert smtp_server.to("anna@mueller.example") == []


def test_the_investors_next_reply_finds_the_lead_again(app, cast, lead, smtp_server):
    """The done-when of issue 16: the officer answers from the composer and the thread goes on.
    The investor answers our answer (to its Reply-To, In-Reply-To its Message-ID, from a
    colleague's address the CRM does not know): it lands on the same lead, answerable again."""
    from email.message import EmailMessage

    from core.mail_in.thread import store

    lead_id, _ = lead
    mail_id = received(app, lead_id)
    client, html = composer(app, cast.officer, lead_id, f"?reply={mail_id}")
    assert post(client, lead_id, html, template="", reply=str(mail_id)).status_code == 302
    (ours,) = smtp_server.to("anna@mueller.example")
    answer = EmailMessage()
    answer["From"] = "Jens Weber <jens.weber@gmx.example>"
    answer["To"] = str(ours.message["Reply-To"])
    answer["Subject"] = f"AW: {ours.subject}"
    answer["Message-ID"] = "<next@gmx.example>"
    answer["In-Reply-To"] = str(ours.message["Message-ID"])
    answer["References"] = f"{ours.message['References']} {ours.message['Message-ID']}"
    answer.set_content("Danke, wir kommen am Montag.")
    with app.app_context():
        stored = store(answer.as_bytes(), "INBOX", 1, 99)
        db.session.commit()
        assert (stored.status, stored.lead_id) == ("threaded", lead_id)
        next_id = stored.id
    lead_page = client.get(f"/crm/leads/{lead_id}").get_data(as_text=True)
    assert "Danke, wir kommen am Montag." in lead_page
    assert f'href="/crm/leads/{lead_id}/email?reply={next_id}"' in lead_page
    again = client.get(f"/crm/leads/{lead_id}/email?reply={next_id}").get_data(as_text=True)
    assert 'value="Re: Ihre Unterlagen"' in again  # "AW: Re: …" folded to one "Re:"


@pytest.mark.parametrize("reply", ["abc", "0", "-1", "9" * 30, "1e3", ""])
def test_an_odd_reply_number_is_a_new_letter(app, cast, lead, reply):
    lead_id, _ = lead
    client, html = composer(app, cast.officer, lead_id, f"?reply={reply}")
    assert "Guten Tag Anna Müller" in html and "Re: " not in html
    response = post(client, lead_id, html, reply=reply, action="preview")
    assert response.status_code == 200
