"""The targets dashboard in a real browser: axe-core in zh and en, on the page and in print."""

from datetime import date, timedelta

import pytest

from tests.browser.conftest import enter_signed_in, set_staff_language

pytestmark = pytest.mark.browser


def _projects(app) -> None:
    """A year in progress: signed, under construction, one at risk, one major, a proof missing."""
    from core.extensions import db
    from core.projects import park_today
    from tests.factories import make_project

    today = park_today()
    first = date(today.year, 1, 10)
    with app.app_context(), app.test_request_context():
        make_project("Keller Antriebe GmbH", signed_on=first, zone="south",
                     construction=first + timedelta(days=30))  # fmt: skip
        make_project("Bianchi Idraulica S.p.A.", signed_on=first + timedelta(days=20),
                     investment=1_200_000_000, deadline=today + timedelta(days=7))  # fmt: skip
        make_project("Dubois Emballages SA", signed_on=first + timedelta(days=40), proof=False)
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_dashboard_has_no_accessibility_violations(new_page, bureau, axe, lang):  # noqa: F811
    from playwright.sync_api import expect

    server, cast, secret = bureau
    set_staff_language(server.app, [cast.manager], lang)
    _projects(server.app)

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    page = new_page(locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    enter_signed_in(page, server, "manager@bureau.example")
    page.goto("/crm/")
    page.get_by_role("navigation").get_by_role("link", name=t("Dashboard"), exact=True).click()
    expect(page.locator("h1")).to_contain_text(t("Targets dashboard %(year)s", year=""))
    assert page.locator("html").get_attribute("lang").startswith(lang)
    # Each chart is one image named by its title, its summary and its table right after it.
    charts = page.get_by_role("img")
    assert charts.count() >= 5
    expect(page.locator("#projects-at-risk")).to_contain_text("Bianchi")
    axe(page, f"dashboard ({lang})")
    response = page.goto("/crm/dashboard/print")
    assert response.status == 200
    assert page.locator(".main-nav").count() == 0
    axe(page, f"dashboard print ({lang})")
    page.emulate_media(media="print")
    assert not page.locator(".screen-only").is_visible()
