"""Mail in, against a real Dovecot on loopback (tests/mail_server.py): replies threaded onto their
lead by reply address, by thread, by sender; RFC 2047 subjects, GB18030 and UTF-8 bodies,
attachments, Outlook and phone replies, out-of-office, bounces, unparseable mail, two fetchers."""

import threading
from email.message import EmailMessage
from email.utils import formatdate

import pytest
from sqlalchemy import select

from core import outbox
from core.extensions import db
from core.mail_in import addresses
from core.mail_in.fetch import fetch_mail
from core.models import (
    Contact,
    InboundMail,
    LeadFile,
    Notification,
    OutboxEmail,
    WebhookMessage,
)
from tests.conftest import translated
from tests.factories import make_lead, make_user, signed_in

BUREAU = "invest@qingyuan-port.example"


@pytest.fixture
def world(app):
    with app.app_context():
        owner = make_user("officer", "li@bureau.example", name="李招商")
        lead = make_lead(owner=owner)
        sent = outbox.queue(
            kind="crm",
            to="anna@mueller.example",
            language="de",
            subject="Ihr Projekt in Qingyuan",
            body="Guten Tag",
            lead_id=lead.id,
            automatic=False,
            answerable_by_lead=True,
            officer_name=owner.name,
        )
        db.session.commit()
        yield {"lead": lead.id, "owner": owner.id, "message_id": sent.message_id}


def mail(subject="Re: Ihr Projekt", sender="Anna Müller <anna@mueller.example>", to=BUREAU,
         body="Danke, wir kommen gern.", charset="utf-8", **headers) -> EmailMessage:  # fmt: skip
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = headers.pop("message_id", None) or f"<{abs(hash(subject + body))}@x>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body, charset=charset)
    return msg


def fetched(app) -> list[InboundMail]:
    with app.app_context():
        lines = fetch_mail()
        assert lines and lines[0].startswith("fetch-mail:")
        mails = db.session.scalars(select(InboundMail).order_by(InboundMail.id)).all()
        db.session.expunge_all()
        return mails


def notifications(app) -> list[OutboxEmail]:
    with app.app_context():
        return db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.kind == "reply_received")
        ).all()


def test_a_reply_to_the_reply_address_lands_on_the_lead_and_tells_the_owner(
    app, imap_server, world
):
    with app.app_context():
        reply_to = addresses.reply_address(world["lead"])
    assert reply_to.startswith("invest+L") and reply_to.endswith("@qingyuan-port.example")
    imap_server.append(mail(to=reply_to).as_bytes())
    app.config["WECOM_WEBHOOK_URL"] = "https://robot.example/cgi-bin/webhook/send?key=k"
    [received] = fetched(app)
    assert (received.status, received.lead_id, received.matched_by) == (
        "threaded", world["lead"], "token"
    )  # fmt: skip
    with app.app_context():  # the WeCom group hears too (tests/core/test_webhooks.py posts it)
        [robot] = db.session.scalars(select(WebhookMessage)).all()
        assert (robot.kind, robot.lead_id, robot.status) == (
            "reply_received",
            world["lead"],
            "queued",
        )
    assert received.body_text == "Danke, wir kommen gern."
    [note] = notifications(app)
    assert note.to_address == "li@bureau.example" and "Anna Müller" in note.subject
    assert f"/crm/leads/{world['lead']}" in note.body_text
    with app.app_context():  # and in the CRM, under the owner's bell
        [notice] = db.session.scalars(select(Notification)).all()
        assert (notice.recipient_id, notice.kind) == (world["owner"], "reply_received")
        assert (notice.record_type, notice.record_id) == ("lead", world["lead"])
    # Fetched once: the next run asks only for newer UIDs.
    assert len(fetched(app)) == 1 and len(notifications(app)) == 1


def test_a_forged_token_is_not_a_lead(app, world):
    with app.test_request_context():
        assert addresses.lead_id_of(addresses.token(world["lead"])) == world["lead"]
        assert addresses.lead_id_of(f"L{world['lead']}-0000000000") is None


def test_chinese_and_german_subjects_gb18030_and_utf8_bodies(app, imap_server, world):
    imap_server.append(
        mail(
            subject="关于青园工业港的投资咨询", body="您好，我们希望参观园区。", charset="gb18030"
        ).as_bytes()
    )
    imap_server.append(
        mail(subject="Grüße aus München – Rückfrage", body="Schöne Grüße").as_bytes()
    )
    chinese, german = fetched(app)
    assert "=?" in mail(subject="关于青园工业港的投资咨询").as_string()  # sent RFC 2047-encoded
    assert chinese.subject == "关于青园工业港的投资咨询"
    assert chinese.body_text == "您好，我们希望参观园区。"
    assert german.subject == "Grüße aus München – Rückfrage" and german.body_text == "Schöne Grüße"
    assert {chinese.matched_by, german.matched_by} == {"contact"}


def test_attachments_are_kept_with_the_lead_within_type_limits(app, imap_server, world):
    msg = mail(subject="Unterlagen")
    msg.add_attachment(b"%PDF-1.4 plan", maintype="application", subtype="pdf", filename="Plan.pdf")
    msg.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream",
                       filename="setup.exe")  # fmt: skip
    imap_server.append(msg.as_bytes())
    [received] = fetched(app)
    with app.app_context():
        [kept] = db.session.scalars(select(LeadFile).where(LeadFile.lead_id == world["lead"]))
        assert (kept.filename, kept.content_type, kept.kind) == (
            "Plan.pdf", "application/pdf", "mail_attachment"
        )  # fmt: skip
    assert received.left_out == "setup.exe"
    client = signed_in(app, world["owner"])
    page = client.get(f"/crm/leads/{world['lead']}").get_data(as_text=True)
    assert (
        translated(app, "Attachments not kept (type or size): %(names)s", names="setup.exe") in page
    )


def test_an_outlook_reply_in_html_only_is_threaded_and_shown_as_text(app, imap_server, world):
    msg = EmailMessage()
    msg["From"] = "Hans Weber <h.weber@weber-gruppe.example>"
    msg["To"], msg["Subject"] = BUREAU, "AW: Ihr Projekt in Qingyuan"
    msg["Message-ID"] = "<AM0PR01MB1234@eurprd01.prod.outlook.com>"
    msg["In-Reply-To"], msg["References"] = world["message_id"], world["message_id"]
    msg["Thread-Index"], msg["Thread-Topic"] = "AdnJx1+2abcdEFGH==", "Ihr Projekt in Qingyuan"
    msg.set_content(
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Sehr geehrter Herr Li,</p><p>gern am <b>12.&nbsp;März</b>.</p></body></html>",
        subtype="html",
    )
    imap_server.append(msg.as_bytes())
    [received] = fetched(app)
    assert (received.lead_id, received.matched_by, received.from_html) == (
        world["lead"], "thread", True
    )  # fmt: skip
    assert received.body_text == "Sehr geehrter Herr Li,\n\ngern am 12. März."
    assert "<" not in received.body_text and "alert" not in received.body_text


def test_a_reply_from_a_phone_threads_by_its_references(app, imap_server, world):
    msg = mail(
        subject="Re: Ihr Projekt in Qingyuan",
        sender="h.weber@weber-gruppe.example",
        body="Passt.\n\nVon meinem iPhone gesendet\n\n> Guten Tag",
        References=f"<older@x> {world['message_id']}",
    )
    msg.replace_header("Content-Type", 'text/plain; charset="utf-8"; format=flowed')
    imap_server.append(msg.as_bytes())
    [received] = fetched(app)
    assert (received.lead_id, received.matched_by) == (world["lead"], "thread")


def test_an_out_of_office_is_not_a_reply(app, imap_server, world):
    imap_server.append(mail(subject="自动回复: Ihr Projekt", body="我休假到周一。").as_bytes())
    imap_server.append(
        mail(subject="Abwesend", body="Bin weg.", Auto_Submitted="auto-replied").as_bytes()
    )
    first, second = fetched(app)
    assert first.status == second.status == "auto_reply"
    assert first.lead_id == world["lead"] and notifications(app) == []


def test_a_bounce_marks_the_contacts_address(app, imap_server, world):
    report = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\n"
        b"To: " + BUREAU.encode() + b"\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce-1@mx.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example\r\n\r\n"
        b"Final-Recipient: rfc822; Anna@Mueller.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"\r\n--B--\r\n"
    )
    imap_server.append(report)
    [received] = fetched(app)
    assert (received.status, received.lead_id) == ("bounce", world["lead"])
    with app.app_context():
        contact = db.session.scalars(select(Contact).where(Contact.lead_id == world["lead"])).one()
        assert contact.email_bounced_at is not None
    assert notifications(app) == []


def test_an_unknown_sender_waits_in_triage_and_an_unparseable_mail_is_kept(app, imap_server, world):
    imap_server.append(mail(sender="new@stranger.example", subject="Anfrage").as_bytes())
    garbage = b"\xff\xfe this is not a mail at all \x81\x82\r\n\r\n\xff"
    imap_server.append(garbage)
    triage, failed = fetched(app)
    assert (triage.status, triage.lead_id) == ("triage", None) and triage.raw
    assert failed.status == "failed" and failed.raw == garbage and failed.parse_error


def test_two_fetchers_at_once_store_each_mail_once(app, imap_server, world):
    with app.app_context():
        reply_to = addresses.reply_address(world["lead"])
    for n in range(6):
        imap_server.append(
            mail(subject=f"Frage {n}", to=reply_to, message_id=f"<q{n}@x>").as_bytes()
        )
    errors = []

    def fetch():
        try:
            with app.app_context():
                fetch_mail()
                db.session.remove()
        except Exception as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    fetchers = [threading.Thread(target=fetch) for _ in range(2)]
    for fetcher in fetchers:
        fetcher.start()
    for fetcher in fetchers:
        fetcher.join(60)
    assert errors == []
    mails = fetched(app)
    assert sorted(m.message_id for m in mails) == [f"<q{n}@x>" for n in range(6)]
    assert len(notifications(app)) == 6


def test_fetch_mail_is_off_without_an_imap_host(app):
    with app.app_context():
        assert fetch_mail() == ["fetch-mail: off (IMAP_HOST is empty)"]


def test_a_mail_too_large_is_recorded_not_downloaded(app, imap_server, world, monkeypatch):
    from core.mail_in import fetch

    monkeypatch.setattr(fetch, "MAX_MB", 0)  # every mail is too large
    imap_server.append(mail(subject="Riesig").as_bytes())
    [received] = fetched(app)
    assert received.status == "failed" and received.raw is None and received.raw_size > 0
    assert "left in the mailbox" in received.parse_error


def test_our_own_mail_coming_back_is_kept_out_of_sight(app, imap_server, world, smtp_server):
    """The bureau's copy of a notification lands in the mailbox fetch-mail reads."""
    with app.app_context():
        own = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "crm"))
        outbox.send_now([own.id])
    imap_server.append(smtp_server.received[0].message.as_bytes())
    [received] = fetched(app)
    assert (received.status, received.lead_id) == ("own", world["lead"])
    assert notifications(app) == []


def test_a_copy_of_a_stored_mail_counts_as_read(app, imap_server, world):
    """The same mail delivered twice (Cc to the bureau and a colleague's list) is stored once, and
    the folder is read past both: the next run asks for nothing old."""
    copy = mail(subject="Doppelt", message_id="<twice@x>").as_bytes()
    imap_server.append(copy)
    imap_server.append(copy)
    with app.app_context():
        assert fetch_mail() == ["fetch-mail: 1 fetched by another worker or a copy, 1 threaded"]
        assert fetch_mail() == ["fetch-mail: nothing new"]
        assert len(db.session.scalars(select(InboundMail)).all()) == 1
