"""Where, who, what in a real browser: the regional map on a phone, the planning filters and the
inquiry that carries an empty search, the desks and a mobile number on the Chinese form; axe."""

import re

import pytest

from tests.browser.conftest import DESKTOP, LANGS, PHONE, PROCESSING_CONSENT

pytestmark = pytest.mark.browser


def labels_inside(page) -> None:
    """No name on the regional map runs off its edges."""
    box = page.locator("svg.region-map-svg").bounding_box()
    for label in page.locator("svg.region-map-svg text").all():
        b = label.bounding_box()
        assert box["x"] - 1 <= b["x"] and b["x"] + b["width"] <= box["x"] + box["width"] + 1
        assert box["y"] - 1 <= b["y"] and b["y"] + b["height"] <= box["y"] + box["height"] + 1


@pytest.fixture
def park(live_server):
    """No leads; the demo plots and events."""
    from core.cli import load_plots
    from core.events import load_events
    from tests.conftest import reset_database

    with live_server.app.app_context():
        reset_database()
        load_plots()
        load_events()
    return live_server


def test_french_investor_finds_the_park_on_a_phone(new_page, park, axe):
    def t(msgid, **variables):
        return park.translate("fr", msgid, **variables)

    page = new_page(viewport=PHONE, locale="fr-FR")
    page.goto("/fr/")
    page.get_by_role("link", name=t("Map of the region, coordinates and directions")).click()
    page.wait_for_url(re.compile(r"/fr/location$"))
    svg = page.locator("svg.region-map-svg")
    assert svg.is_visible()
    # Labels stay legible at phone width: at least 12 CSS pixels high once the map is scaled.
    heights = page.eval_on_selector_all(
        "svg.region-map-svg text.region-label",
        "els => els.map(e => e.getBoundingClientRect().height)",
    )
    assert heights and min(heights) >= 12, heights
    labels_inside(page)
    # The outbound map links are targets of at least 24 px.
    links = page.locator(".map-links a")
    assert links.count() >= 6
    for i in range(links.count()):
        b = links.nth(i).bounding_box()
        assert b["height"] >= 24 and b["width"] >= 24
    assert "openstreetmap.org" in links.first.get_attribute("href")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    axe(page, "location page on a phone (fr)")


@pytest.mark.parametrize("lang", LANGS)
def test_location_and_planned_plot_pages_are_accessible(new_page, park, axe, lang):
    """The contact, one-stop and plot pages are checked with every page type
    (tests/browser/test_accessibility.py); these two are this feature's own."""
    page = new_page(viewport=DESKTOP)
    for path in ("location", "land/NX-03"):
        response = page.goto(f"/{lang}/{path}")
        assert response.status == 200, path
        axe(page, f"{path} ({lang})")
        if path == "location":
            labels_inside(page)


def test_german_investor_with_a_big_project_tells_us_what_they_need(new_page, park, axe):
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Inquiry

    def t(msgid, **variables):
        return park.translate("de", msgid, **variables)

    page = new_page(viewport=DESKTOP, locale="de-DE")
    page.goto("/de/land")
    filters = page.get_by_role("region", name=t("Find a plot"))
    filters.get_by_text(t("Find a plot"), exact=True).click()  # the drawer, closed at first
    page.get_by_label(t("Zone"), exact=True).select_option("south")
    page.get_by_label(t("Building height needed")).select_option("50")
    page.get_by_role("button", name=t("Show plots")).click()
    page.wait_for_url(re.compile(r"height=50"))
    assert page.locator(".plot-results").count() == 0
    assert page.locator(".coming-plots li").count() >= 1
    axe(page, "land page with no result (de)")
    page.get_by_role("link", name=t("Tell us what you need"), exact=True).click()
    page.wait_for_url(re.compile(r"/de/inquiry\?need="))
    assert page.get_by_role("link", name=t("See the search")).is_visible()
    axe(page, "inquiry form carrying a land search (de)")
    page.get_by_label(t("Your name")).fill("Jonas Weber")
    page.get_by_label(t("Email address")).fill("jonas.weber@weber-werke.example")
    page.get_by_label(t("Company"), exact=True).fill("Weber Werke AG")
    page.get_by_label(t("Country or region")).select_option("DE")
    page.get_by_label(t("Industry"), exact=True).select_option(index=1)
    page.get_by_role("checkbox", name=t(PROCESSING_CONSENT)).check()
    page.get_by_role("button", name=t("Send inquiry")).click()
    page.wait_for_url(re.compile(r"/de/inquiry/thanks"))
    with park.app.app_context():
        inquiry = db.session.scalar(select(Inquiry))
        assert inquiry.wishes == {"land_filter": "zone=south&height=50"}
        db.session.remove()


def test_chinese_investor_sees_wechat_and_enquires_with_a_mobile_number(new_page, park, axe):
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Contact

    def t(msgid, **variables):
        return park.translate("zh", msgid, **variables)

    page = new_page(viewport=PHONE, locale="zh-CN")
    page.goto("/zh/contact")
    qr = page.locator("img.wechat-qr")
    qr.scroll_into_view_if_needed()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    page.goto("/zh/inquiry")
    page.get_by_label(t("Your name")).fill("张伟")
    page.get_by_label(t("Phone number")).fill("138 0028 5555")
    page.get_by_label(t("Company"), exact=True).fill("成都蓝光电子有限公司")
    page.get_by_label(t("Country or region")).select_option("CN")
    page.get_by_label(t("Industry"), exact=True).select_option(index=1)
    page.get_by_role("checkbox", name=t(PROCESSING_CONSENT)).check()
    page.get_by_role("button", name=t("Send inquiry")).click()
    page.wait_for_url(re.compile(r"/zh/inquiry/thanks\?by=phone"))
    by_phone = (
        "You gave us a mobile number instead of an email address, "
        "so we will call or text you on it."
    )
    assert t(by_phone) in page.content()
    axe(page, "thanks page for a mobile number (zh)")
    with park.app.app_context():
        contact = db.session.scalar(select(Contact))
        assert contact.email is None and contact.phone == "+8613800285555"
        db.session.remove()


def test_visitor_picks_meeting_days_on_the_event_page(new_page, park, axe):
    from datetime import date, timedelta

    from sqlalchemy import select

    from core.extensions import db
    from core.models import Event, Inquiry

    with park.app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "eu-china-fair-2026"))
        event.starts_on = date.today() + timedelta(days=3)
        event.ends_on = event.starts_on + timedelta(days=2)
        first = event.starts_on.isoformat()
        db.session.commit()
        db.session.remove()

    def t(msgid, **variables):
        return park.translate("en", msgid, **variables)

    page = new_page(viewport=PHONE, locale="en-GB")
    page.goto("/en/events/eu-china-fair-2026")
    boxes = page.locator('input[name="meeting_days"]')
    assert boxes.count() == 3
    boxes.first.check()
    page.get_by_label(t("Time of day")).select_option("morning")
    axe(page, "event page with meeting days (en)")
    page.get_by_label(t("Your name")).fill("Claire Martin")
    page.get_by_label(t("Email address")).fill("claire.martin@martin-sa.example")
    page.get_by_label(t("Company"), exact=True).fill("Martin SA")
    page.get_by_label(t("Country or region")).select_option("FR")
    page.get_by_label(t("Industry"), exact=True).select_option(index=1)
    page.get_by_role("checkbox", name=t(PROCESSING_CONSENT)).check()
    page.get_by_role("button", name=t("Send inquiry")).click()
    page.wait_for_url(re.compile(r"/en/inquiry/thanks"))
    with park.app.app_context():
        wishes = db.session.scalar(select(Inquiry)).wishes
        assert wishes["meeting"] == {
            "event": "eu-china-fair-2026",
            "days": [first],
            "time": "morning",
        }
        db.session.remove()
