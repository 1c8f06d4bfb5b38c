"""A firm's other names in a real browser: added on the lead page, then found by search; axe-core
on the lead page with its names shown and the form open, in zh and en."""

import re

import pytest

from tests.browser.conftest import enter_signed_in, set_staff_language

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_a_name_added_on_the_lead_page_finds_the_lead(new_page, bureau, axe, lang):
    from playwright.sync_api import expect

    from core.extensions import db
    from core.models import LeadAlias
    from tests.factories import make_lead

    server, cast, secret = bureau
    set_staff_language(server.app, [cast.manager], lang)
    with server.app.app_context():
        lead = make_lead("成都天府精密机械有限公司", country="CN", language="zh")
        lead.aliases.append(LeadAlias(name="Chengdu Tianfu Precision Machinery", kind="latin"))
        db.session.commit()
        lead_id = lead.id
        db.session.remove()

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    page = new_page(locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    enter_signed_in(page, server, "manager@bureau.example")
    page.goto(f"/crm/leads/{lead_id}")
    names = page.locator(".lead-aliases")
    expect(names).to_contain_text("Chengdu Tianfu Precision Machinery")
    page.get_by_text(t("Add another name")).click()
    page.get_by_label(t("Other name")).fill("天府机械厂")
    page.get_by_label(t("Kind of name")).select_option("former")
    axe(page, f"lead page with its other names ({lang})")
    page.get_by_role("button", name=t("Add name")).click()
    expect(page.locator(".flashes")).to_contain_text(t("The name was added."))
    expect(names).to_contain_text("天府机械厂")
    expect(names).to_contain_text(t("Former name"))
    axe(page, f"lead page after adding a name ({lang})")

    page.get_by_role("navigation").get_by_role("link", name=t("Leads"), exact=True).click()
    page.get_by_label(t("Search")).fill("机械厂")
    page.get_by_label(t("Search")).press("Enter")
    page.get_by_role("link", name="成都天府精密机械有限公司").click()
    expect(page).to_have_url(re.compile(rf"/crm/leads/{lead_id}"))
