"""Firms bring firms in a real browser: invitation by email, a German referral, the bureau's
decision and a milestone reaching the contact by email and on the portal; axe-core on the portal."""

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE, enter_signed_in, set_staff_language

pytestmark = pytest.mark.browser

CONSENT = (
    "The contact person agreed that we pass their details in this form to the investment bureau "
    "of the park, and that the bureau contacts them about investing in the park."
)
LINK = re.compile(r"https?://\S+/portal/link/[A-Za-z0-9_-]+")


@pytest.fixture
def park(live_server):
    """No leads; plots, enterprises, a cast of staff, and a German portal contact at Wendel."""
    from sqlalchemy import select

    from core.cli import load_plots
    from core.enterprises import load_enterprises
    from core.extensions import db
    from core.models import Enterprise, EnterpriseContact, User
    from tests.conftest import reset_database
    from tests.factories import make_cast

    with live_server.app.app_context():
        reset_database()
        load_plots()
        load_enterprises()
        cast = make_cast()
        firm = db.session.scalar(select(Enterprise).where(Enterprise.slug == "wendel-drives"))
        contact = EnterpriseContact(
            enterprise=firm, name="Katrin Wendel", email="k.wendel@wendel.example", language="de"
        )
        db.session.add(contact)
        db.session.commit()
        ids = {
            "enterprise": firm.id,
            "contact": contact.id,
            "secret": db.session.get(User, cast.manager).totp_secret,
        }
        db.session.remove()
    set_staff_language(live_server.app, [cast.manager], "en")
    return live_server, cast, ids


def wait_for_mail(page, mailbox, count: int, to: str = "k.wendel@wendel.example"):
    """The count-th email to this address (the bureau's own notices go elsewhere)."""
    for _ in range(100):
        received = [m for m in mailbox.received if m.rcpt_tos == [to]]
        if len(received) >= count:
            return received[count - 1]
        page.wait_for_timeout(100)
    raise AssertionError(f"expected {count} emails to {to}, got {len(received)}")


def test_contact_refers_a_german_firm_and_follows_it(new_page, park, mailbox):
    server, cast, ids = park

    def t(msgid, **kw):
        return server.translate("en", msgid, **kw)

    def de(msgid, **kw):
        return server.translate("de", msgid, **kw)

    # The bureau invites the contact from the enterprise's page.
    bureau = new_page()
    bureau.context.add_cookies([{"name": "staff_lang", "value": "en", "url": server.url + "/crm"}])
    enter_signed_in(bureau, server, "manager@bureau.example")
    bureau.goto(f"/crm/enterprises/{ids['enterprise']}")
    bureau.get_by_role("button", name=re.compile(t("Send invitation"))).click()
    bureau.get_by_role("status").wait_for()
    invitation = wait_for_mail(bureau, mailbox, 1)
    assert invitation.rcpt_tos == ["k.wendel@wendel.example"]
    assert invitation.subject == de("Your access to the Qingyuan Industrial Port enterprise portal")

    # The contact opens the emailed link in German and signs in.
    contact = new_page(locale="de-DE")
    contact.goto(LINK.search(invitation.body).group(0))
    contact.get_by_role("button", name=de("Sign in")).click()
    contact.get_by_role("heading", name=de("Your referral link")).wait_for()
    link = contact.get_by_label(de("Referral link"), exact=True).input_value()
    assert "/inquiry?ref=" in link

    # … refers a German firm, in German.
    contact.get_by_role("link", name=de("Refer a firm")).first.click()
    contact.get_by_label(de("Company name"), exact=True).fill("Hofmann Hydraulik GmbH")
    contact.get_by_label(de("Country or region"), exact=True).select_option("DE")
    contact.get_by_label(de("Industry"), exact=True).select_option("precision-machinery")
    contact.get_by_label(de("Contact person"), exact=True).fill("Jonas Hofmann")
    contact.get_by_label(de("Their email address"), exact=True).fill(
        "j.hofmann@hofmann-hydraulik.example"
    )
    contact.get_by_label(de("Language for the bureau to use with them"), exact=True).select_option(
        "de"
    )
    contact.get_by_label(de("What the firm plans"), exact=True).fill(
        "Ein Werk für Hydraulikzylinder."
    )
    contact.get_by_label(de("How you know them"), exact=True).fill(
        "Unser Lieferant seit zehn Jahren."
    )
    contact.get_by_label(de(CONSENT), exact=True).check()
    contact.get_by_role("button", name=de("Send the referral")).click()
    contact.get_by_text(de("Submitted")).first.wait_for()

    # The bureau accepts it from the queue and moves the lead to the site visit.
    bureau.goto("/crm/referrals")
    bureau.get_by_role("link", name="Hofmann Hydraulik GmbH").click()
    bureau.get_by_role("button", name=t("Accept"), exact=True).click()
    bureau.get_by_role("status").wait_for()
    lead_url = bureau.url
    assert "/crm/leads/" in lead_url
    notice = wait_for_mail(bureau, mailbox, 1, to=server.app.config["BUREAU_EMAIL"])
    assert "Hofmann Hydraulik GmbH" in notice.subject
    accepted = wait_for_mail(bureau, mailbox, 2)
    assert de("Accepted") in accepted.subject
    bureau.goto(lead_url.rstrip("/") + "/move")
    bureau.get_by_label(t("Move to stage")).select_option("site_visit")
    bureau.get_by_role("button", name=re.compile("^" + t("Move"))).click()
    bureau.get_by_role("status").wait_for()
    visit = wait_for_mail(bureau, mailbox, 3)
    assert de("Site visit") in visit.subject

    # The contact sees the new status on the portal.
    contact.reload()
    contact.get_by_text(de("Site visit")).first.wait_for()
    contact.goto("/de/portal/")
    row = contact.get_by_role("row", name=re.compile("Hofmann Hydraulik"))
    assert de("Site visit") in row.inner_text()


def portal_pages(server, ids, decided: bool = True) -> dict[str, str]:
    """A referral of the contact's enterprise, a fresh link; returns the pages' paths by name."""
    from core import enterprises
    from core.extensions import db
    from core.models import EnterpriseContact, Referral, ReferralUpdate

    with server.app.test_request_context("/de/"):
        contact = db.session.get(EnterpriseContact, ids["contact"])
        referral = Referral(
            enterprise_id=ids["enterprise"], submitted_by=contact, company_name="Hofmann GmbH",
            country="DE", industry="precision-machinery", contact_name="Jonas Hofmann",
            contact_email="j@hofmann.example", contact_language="de", plans="Werk",
            how_known="Lieferant", decision="declined", decline_reason="not_a_fit",
            decline_message="Kein passendes Grundstück.",
        )  # fmt: skip
        referral.updates = [ReferralUpdate(status="submitted"), ReferralUpdate(status="declined")]
        if not decided:
            referral.decision, referral.decline_reason, referral.updates = "submitted", None, []
        db.session.add(referral)
        token = enterprises.issue_link(contact, "sign_in")
        db.session.commit()
        referral_id = referral.id
        db.session.remove()
    return {"link": f"/portal/link/{token}", "referral": f"/portal/referrals/{referral_id}"}


# The portal's pages are templates, the same markup in every language: each is checked in Chinese
# (CJK text changes contrast and line breaks) at both widths and in a Latin language at each width,
# German (the longest words) on the phone.
PORTAL_CHECKS = [("zh", DESKTOP), ("zh", PHONE), ("en", DESKTOP), ("de", PHONE)]


@pytest.mark.parametrize(
    ("lang", "viewport"), PORTAL_CHECKS, ids=[f"{lang}-{v['width']}" for lang, v in PORTAL_CHECKS]
)
def test_portal_pages_have_no_accessibility_violations(new_page, park, axe, lang, viewport):
    server, _, ids = park
    paths = portal_pages(server, ids)
    page = new_page(viewport=viewport)
    page.goto(f"/{lang}/portal/sign-in")
    axe(page, f"sign-in {lang}")
    page.locator("#email").fill("not an address")
    page.locator("main form button[type=submit]").click()
    page.locator("#email-error").wait_for()
    axe(page, f"sign-in with an error {lang}")
    page.goto(f"/{lang}/portal/link/not-a-token")
    axe(page, f"dead link {lang}")
    page.goto(f"/{lang}{paths['link']}")
    axe(page, f"link {lang}")
    page.locator("main form button[type=submit]").click()
    page.locator("#referral-link").wait_for()
    axe(page, f"portal home {lang}")
    page.goto(f"/{lang}/portal/referrals/new")
    axe(page, f"new referral {lang}")
    page.locator("main form button[type=submit]").last.click()
    page.locator("#company_name-error").wait_for()
    axe(page, f"new referral with errors {lang}")
    page.goto(f"/{lang}{paths['referral']}")
    axe(page, f"referral {lang}")


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_crm_enterprise_and_referral_pages_have_no_accessibility_violations(
    new_page, park, axe, lang
):
    server, cast, ids = park
    declined = portal_pages(server, ids)["referral"].rsplit("/", 1)[1]
    waiting = portal_pages(server, ids, decided=False)["referral"].rsplit("/", 1)[1]
    set_staff_language(server.app, [cast.manager], lang)

    def t(msgid, **kw):
        return server.translate(lang, msgid, **kw)

    page = new_page(locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    enter_signed_in(page, server, "manager@bureau.example")
    enterprise = f"/crm/enterprises/{ids['enterprise']}"
    for path in (
        "/crm/enterprises",
        enterprise,
        f"{enterprise}/edit",
        f"{enterprise}/contacts/new",
        f"{enterprise}/contacts/{ids['contact']}/edit",
        "/crm/enterprises/new",
        "/crm/referrals",
        f"/crm/referrals/{declined}",
        f"/crm/referrals/{waiting}",
        "/crm/referrals/leaderboard",
    ):
        page.goto(path)
        axe(page, f"{path} ({lang})")
