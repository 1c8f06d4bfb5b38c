"""Events in a real browser: the German landing page's form attributes the lead; axe-core."""

import re

import pytest

from tests.browser.conftest import (
    DESKTOP,
    LANGS,
    PHONE,
    PROCESSING_CONSENT,
    enter_signed_in,
    set_staff_language,
)

pytestmark = pytest.mark.browser

SLUG = "eu-china-fair-2026"


@pytest.fixture
def fair(live_server):
    """No leads; the demo plots, the demo events and a cast of staff (manager with TOTP)."""
    from core.cli import load_plots
    from core.events import load_events
    from core.extensions import db
    from core.models import Event, User
    from tests.conftest import reset_database
    from tests.factories import make_cast, make_lead

    with live_server.app.app_context():
        reset_database()
        load_plots()
        cast = make_cast()
        load_events()
        event = db.session.query(Event).filter_by(slug=SLUG).one()
        event.staff = [db.session.get(User, cast.officer)]
        lead = make_lead("Keller Antriebstechnik GmbH", email=None)
        lead.event_id, lead.captured_by_id = event.id, cast.officer
        db.session.commit()
        secret = db.session.get(User, cast.manager).totp_secret
        event_id = event.id
        db.session.remove()
    return live_server, cast, secret, event_id


def test_german_visitor_books_a_meeting_from_the_landing_page(new_page, fair):
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Lead

    server, _cast, _secret, event_id = fair

    def t(msgid):
        return server.translate("de", msgid)

    page = new_page(viewport=PHONE, locale="de-DE")
    page.goto(f"/de/events/{SLUG}")
    assert "Halle 3, Stand A12" in page.locator("h1 + p").inner_text()
    page.get_by_label(t("Your name")).fill("Petra Keller")
    page.get_by_label(t("Email address")).fill("petra.keller@keller-messe.example")
    page.get_by_label(t("Company"), exact=True).fill("Keller Messe GmbH")
    page.get_by_label(t("Country or region")).select_option("DE")
    page.get_by_label(t("Industry"), exact=True).select_option(index=1)
    page.get_by_role("checkbox", name=t(PROCESSING_CONSENT)).check()
    page.get_by_role("button", name=t("Send inquiry")).click()
    page.wait_for_url(re.compile(r"/de/inquiry/thanks"))
    with server.app.app_context():
        lead = db.session.scalar(select(Lead).where(Lead.company_name == "Keller Messe GmbH"))
        assert lead is not None and lead.event_id == event_id
        db.session.remove()


@pytest.mark.parametrize("lang", LANGS)
def test_landing_page_has_no_accessibility_violations(new_page, fair, axe, lang):
    server = fair[0]
    page = new_page(locale="de-DE")
    response = page.goto(f"/{lang}/events/{SLUG}")
    assert response.status == 200
    axe(page, f"event landing page ({lang})")
    img = new_page().goto(f"/{lang}/events/{SLUG}/qr.svg")
    assert img.status == 200 and server


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_crm_event_pages_have_no_accessibility_violations(new_page, fair, axe, lang):
    server, cast, secret, event_id = fair
    set_staff_language(server.app, [cast.manager], lang)

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    page = new_page(viewport=DESKTOP, locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    enter_signed_in(page, server, "manager@bureau.example")
    paths = {
        "list": "/crm/events",
        "event": f"/crm/events/{event_id}",
        "edit": f"/crm/events/{event_id}/edit",
        "new": "/crm/events/new",
        "results": f"/crm/events/{event_id}/results",
        "side by side": "/crm/events/results",
    }
    for kind, path in paths.items():
        response = page.goto(path)
        assert response.status == 200, f"{path} answered {response.status}"
        assert page.locator("html").get_attribute("lang").startswith(lang)
        axe(page, f"events {kind} ({lang})")
    # The edit form refused: errors shown next to fields and in the summary, still accessible.
    page.goto(f"/crm/events/{event_id}/edit")
    page.locator("#ends_on").fill("2020-01-01")
    page.locator("#name_en").fill("")
    page.get_by_role("button", name=t("Save")).click()
    # A click does not wait for the answer: wait for the refused form's summary to be shown.
    page.locator("#error-summary").wait_for()
    axe(page, f"events edit with errors ({lang})")
    # The navigation leads to the events list.
    page.get_by_role("navigation").get_by_role("link", name=t("Events"), exact=True).click()
    page.wait_for_url(re.compile(r"/crm/events$"))
