"""In a real browser: an officer opens the mail triage, reads a mail no lead claimed (an HTML mail
shown as text) and attaches it to the lead it belongs to; it appears on the lead's timeline.
axe-core on both pages, in Chinese (the staff default) and English."""

import pytest

from tests.browser.conftest import DESKTOP, PHONE, enter_signed_in, set_staff_language

pytestmark = pytest.mark.browser

COMPANY = "Durand Industrie SAS"


def _stranger_mail() -> bytes:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "Pierre Durand <p.durand@durand-industrie.example>"
    msg["To"], msg["Subject"] = "invest@qingyuan-port.example", "Demande d'information"
    msg["Message-ID"] = "<triage-browser@durand-industrie.example>"
    msg.set_content("<p>Bonjour,</p><p>nous cherchons <b>30 mu</b>.</p>", subtype="html")
    return msg.as_bytes()


@pytest.mark.parametrize(("lang", "viewport"), [("zh", DESKTOP), ("en", PHONE)])
def test_an_officer_attaches_a_waiting_mail_to_its_lead(new_page, bureau, axe, lang, viewport):
    from playwright.sync_api import expect

    from core.extensions import db
    from core.mail_in.thread import store
    from core.models import User
    from tests.factories import make_lead

    server, cast, _ = bureau
    set_staff_language(server.app, [cast.officer], lang)
    with server.app.app_context():
        officer = db.session.get(User, cast.officer)
        make_lead(COMPANY, owner=officer, email="info@durand-industrie.example", language="fr")
        store(_stranger_mail(), "INBOX", 1, 1)
        db.session.commit()
        db.session.remove()

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    page = new_page(viewport=viewport, locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    enter_signed_in(page, server, "li@bureau.example")
    page.goto("/crm/inbox")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Mail triage"))
    mail = page.get_by_role("article", name="Demande d'information")
    expect(mail).to_contain_text("nous cherchons 30 mu.")
    axe(page, f"mail triage ({lang})")

    mail.get_by_role("button", name=t("Attach to this lead")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(COMPANY)
    expect(page.locator(".flashes")).to_contain_text(t("The mail is now on the lead's timeline."))
    entry = page.locator(".timeline-mail").filter(has_text="Demande d'information")
    expect(entry).to_contain_text(t("%(who)s wrote to the bureau", who="Pierre Durand"))
    axe(page, f"lead with a received mail ({lang})")

    page.goto("/crm/inbox")
    expect(page.get_by_text(t("No mail is waiting."))).to_be_visible()
    axe(page, f"empty mail triage ({lang})")
