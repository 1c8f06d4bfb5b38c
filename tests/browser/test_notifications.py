"""In a real browser: a manager assigns a lead; the officer sees the bell's count, opens the
notifications, opens the one about the lead and lands on it, the count gone; then chooses to hear
of assignments in the CRM only. axe-core on the notifications and preferences pages, in Chinese
(the staff default) on a desktop and in English on a phone."""

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE, set_staff_language, sign_in

pytestmark = pytest.mark.browser

COMPANY = "Kessler Antriebe GmbH"


@pytest.mark.parametrize(("lang", "viewport"), [("zh", DESKTOP), ("en", PHONE)])
def test_an_assigned_officer_hears_it_by_the_bell(new_page, bureau, axe, lang, viewport):
    from playwright.sync_api import expect

    from core.extensions import db
    from tests.factories import make_lead

    server, cast, secret = bureau
    set_staff_language(server.app, [cast.officer, cast.manager], lang)
    with server.app.app_context():
        lead_id = make_lead(COMPANY).id
        db.session.commit()
        db.session.remove()

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    locale = "zh-CN" if lang == "zh" else "en-GB"
    manager = new_page(viewport=DESKTOP, locale=locale)
    manager.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    sign_in(manager, t, "manager@bureau.example", totp_secret=secret)
    manager.goto(f"/crm/leads/{lead_id}")
    manager.locator(".pipeline-panel").get_by_label(t("Owner")).select_option(str(cast.officer))
    manager.locator(".pipeline-panel").get_by_role("button", name=re.compile(t("Assign"))).click()
    expect(manager.locator(".flashes")).to_contain_text("li")

    officer = new_page(viewport=viewport, locale=locale)
    officer.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    sign_in(officer, t, "li@bureau.example")
    unread = t("%(num)d unread", num=1)
    bell = officer.get_by_role("link", name=re.compile(re.escape(t("Notifications"))))
    expect(bell).to_contain_text(unread)
    bell.click()
    expect(officer.get_by_role("heading", level=1)).to_have_text(t("Notifications"))
    axe(officer, f"notifications ({lang})")
    officer.locator(".notice-open").get_by_role(
        "button", name=re.compile(re.escape(COMPANY))
    ).click()
    expect(officer).to_have_url(re.compile(rf"/crm/leads/{lead_id}$"))
    expect(officer.get_by_role("heading", level=1)).to_contain_text(COMPANY)
    expect(officer.locator(".bell-count")).to_have_text(t("%(num)d unread", num=0))

    # The officer keeps assignments to the CRM from now on.
    officer.goto("/crm/account/notifications")
    axe(officer, f"notification settings ({lang})")
    group = officer.get_by_role("group", name=t("A lead is assigned to me"))
    group.get_by_label(t("In the CRM only")).check()
    officer.get_by_role("button", name=t("Save"), exact=True).click()
    expect(officer.locator(".flashes")).to_contain_text(t("Your notification settings are saved."))
    expect(group.get_by_label(t("In the CRM only"))).to_be_checked()
    with server.app.app_context():
        from core.models import User

        assert db.session.get(User, cast.officer).notify_by_mail["lead_assigned"] is False
        db.session.remove()


def test_pages_with_the_new_fields_pass_axe(new_page, bureau, axe):
    """The admin's team robots, a contact's mobile and WeChat ID (form and lead page), in
    Chinese: a contact saved with both shows them on the lead."""
    from playwright.sync_api import expect

    from core.extensions import db
    from core.models import User
    from tests.factories import make_lead

    server, cast, _ = bureau
    with server.app.app_context():
        admin_secret = db.session.get(User, cast.admin).totp_secret
        lead_id = make_lead(COMPANY, owner=db.session.get(User, cast.officer)).id
        db.session.commit()
        db.session.remove()

    def t(msgid, **variables):
        return server.translate("zh", msgid, **variables)

    admin = new_page(viewport=DESKTOP, locale="zh-CN")
    sign_in(admin, t, "admin@bureau.example", totp_secret=admin_secret)
    admin.goto("/crm/admin/users")
    robot = admin.get_by_label(t("WeCom group robot of %(name)s", name="Europe desk"))
    robot.fill("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")
    robot.press("Enter")
    expect(admin.locator(".flashes")).to_contain_text(
        t("The WeCom group robot of %(name)s is saved.", name="Europe desk")
    )
    axe(admin, "users and teams with a robot set")

    officer = new_page(viewport=PHONE, locale="zh-CN")
    sign_in(officer, t, "li@bureau.example")
    officer.goto(f"/crm/leads/{lead_id}/contacts/new")
    axe(officer, "new contact")
    officer.get_by_label(t("Name"), exact=True).fill("王小明")
    officer.get_by_label(t("Mobile")).fill("+86 138 0013 8000")
    officer.get_by_label(t("WeChat ID")).fill("wang_xm88")
    officer.get_by_role("button", name=t("Save"), exact=True).click()
    expect(officer.locator(".flashes")).to_contain_text(t("The contact was saved."))
    expect(officer.get_by_role("cell", name="wang_xm88")).to_be_visible()
    axe(officer, "lead with a contact's mobile and WeChat ID")
