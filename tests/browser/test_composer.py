"""In a real browser: an officer answers an investor's mail from the lead's timeline in the
composer: a template loads in place (htmx, no page load), the language switches, a brochure is
attached and previewed, the answer is sent and continues the thread; axe-core finds nothing,
in Chinese (the staff default, desktop) and English (phone)."""

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE, set_staff_language, settled, sign_in

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _lead_with_a_question(app, officer_id) -> tuple[int, int]:
    from core.extensions import db
    from core.models import InboundMail, User
    from core.models.base import utcnow
    from tests.factories import make_lead

    with app.app_context():
        lead = make_lead(owner=db.session.get(User, officer_id))
        db.session.flush()
        mail = InboundMail(
            message_id="<question-browser@mueller.example>",
            from_address="anna@mueller.example",
            from_name="Anna Müller",
            subject="Grundstück B-12",
            body_text="Guten Tag,\n\nwie groß ist das Grundstück B-12?\n\nAnna Müller",
            imap_folder="INBOX",
            imap_uidvalidity=1,
            imap_uid=1,
            status="threaded",
            lead_id=lead.id,
            sent_at=utcnow(),
        )
        db.session.add(mail)
        db.session.commit()
        ids = lead.id, mail.id
        db.session.remove()
    return ids


@pytest.mark.parametrize(("lang", "viewport"), [("zh", DESKTOP), ("en", PHONE)])
def test_an_officer_answers_from_the_composer(new_page, bureau, mailbox, axe, lang, viewport):
    from playwright.sync_api import expect

    server, cast, _ = bureau
    set_staff_language(server.app, [cast.officer], lang)
    lead_id, mail_id = _lead_with_a_question(server.app, cast.officer)

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    page = new_page(viewport=viewport, locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    sign_in(page, t, "li@bureau.example")
    page.goto(f"/crm/leads/{lead_id}")
    entry = page.locator(".timeline-mail").filter(has_text="Grundstück B-12")
    entry.get_by_role("link", name=t("Reply")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(t("Answer an email"))
    subject, body = page.get_by_label(t("Subject")), page.get_by_label(t("Message"))
    expect(subject).to_have_value("Re: Grundstück B-12")
    expect(body).to_have_value(re.compile(r"schrieb Anna Müller:\n> Guten Tag,\n>\n> wie groß"))
    axe(page, f"composer answering a mail ({lang})")

    # The template loads in place: the page is not loaded again (the mark survives).
    page.evaluate("window.stayedOnThePage = true")
    page.get_by_label(t("Template")).select_option(label=t("Invitation to a site visit"))
    expect(body).to_have_value(re.compile(r"^Guten Tag Anna Müller,"))
    expect(body).to_have_value(re.compile(r"> wie groß ist das Grundstück B-12\?"))
    expect(subject).to_have_value("Re: Grundstück B-12")
    settled(page)
    page.get_by_label(t("Language of the email")).select_option("en")
    expect(body).to_have_value(re.compile(r"^Dear Anna Müller,"))
    assert page.evaluate("window.stayedOnThePage") is True

    page.get_by_label(t("Add files")).set_input_files(
        {"name": "Brochure Qingyuan.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name=t("Preview")).click()
    preview = page.locator("#letter-preview")
    expect(preview).to_contain_text("Brochure Qingyuan.pdf")
    expect(page.get_by_role("checkbox", name="Brochure Qingyuan.pdf")).to_be_checked()
    expect(preview).to_contain_text("Dear Anna Müller,")
    assert page.evaluate("window.stayedOnThePage") is True
    axe(page, f"composer with a preview and a file ({lang})")

    page.get_by_role("button", name=t("Send"), exact=True).click()
    expect(page.locator(".flashes")).to_contain_text(
        t("Email to %(name)s queued for sending.", name="Anna Müller")
    )
    sent = page.locator(".timeline-mail").filter(has_text="Re: Grundstück B-12")
    expect(sent).to_contain_text(t("Attachments: %(names)s", names="Brochure Qingyuan.pdf"))
    axe(page, f"lead after the answer ({lang})")

    (mail,) = mailbox.to("anna@mueller.example")
    assert mail.message["In-Reply-To"] == "<question-browser@mueller.example>"
    assert [p.get_filename() for p in mail.message.iter_attachments()] == ["Brochure Qingyuan.pdf"]


def test_the_composer_works_without_javascript(browser, live_server, bureau, mailbox):
    """Script off: "Load template" loads it (a page load), Enter in the subject previews and
    never sends, a file goes along through the preview, Send sends. (axe-core needs script: the
    same page is checked in the test above.)"""
    from playwright.sync_api import expect

    server, cast, _ = bureau
    set_staff_language(server.app, [cast.officer], "en")
    with server.app.app_context():
        from core.extensions import db
        from core.models import User
        from tests.factories import make_lead

        lead_id = make_lead(owner=db.session.get(User, cast.officer), language="fr").id
        db.session.commit()
        db.session.remove()

    def t(msgid, **variables):
        return server.translate("en", msgid, **variables)

    context = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.context.add_cookies(
            [{"name": "staff_lang", "value": "en", "url": server.url + "/crm"}]
        )
        sign_in(page, t, "li@bureau.example")
        page.goto(f"/crm/leads/{lead_id}/email")
        body = page.get_by_label(t("Message"))
        expect(body).to_have_value(re.compile(r"^Bonjour Anna Müller,"))
        page.get_by_label(t("Template")).select_option(label=t("Request for documents"))
        page.get_by_label(t("Language of the email")).select_option("de")
        page.get_by_role("button", name=t("Load template")).click()
        expect(body).to_have_value(re.compile(r"^Guten Tag Anna Müller,"))

        page.get_by_label(t("Add files")).set_input_files(
            {"name": "Grundstück B-12.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        page.get_by_label(t("Subject")).press("Enter")  # the form's first button: Preview
        expect(page.locator("#letter-preview")).to_contain_text("Grundstück B-12.pdf")
        expect(page.get_by_role("checkbox", name="Grundstück B-12.pdf")).to_be_checked()
        assert mailbox.received == []

        page.get_by_role("button", name=t("Send"), exact=True).click()
        expect(page.locator(".flashes")).to_contain_text(
            t("Email to %(name)s queued for sending.", name="Anna Müller")
        )
        (mail,) = mailbox.to("anna@mueller.example")
        assert mail.message["Content-Language"] == "de"
        assert [p.get_filename() for p in mail.message.iter_attachments()] == [
            "Grundstück B-12.pdf"
        ]
    finally:
        context.close()
