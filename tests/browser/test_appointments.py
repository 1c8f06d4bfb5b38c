"""Scheduling a site visit in a real browser: the form, the visit's page with the investor's
clock beside Beijing's, the invitation the investor receives (iCalendar, METHOD:REQUEST), the
week view, and the personal calendar feed fetched by its secret address without signing in and
parsed with icalendar; axe-core finds nothing on any of these pages."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests.browser.conftest import DESKTOP, review_shot, set_staff_language, sign_in

pytestmark = pytest.mark.browser


def officers_lead(app, cast) -> int:
    from core.extensions import db
    from core.models import User
    from tests.factories import make_lead

    with app.app_context():
        lead = make_lead(
            "Keller Antriebstechnik GmbH", contact_name="Petra Keller",
            email="petra@keller.example", owner=db.session.get(User, cast.officer),
            liaison=db.session.get(User, cast.leader),
        )  # fmt: skip
        db.session.commit()
        lead_id = lead.id
        db.session.remove()
    return lead_id


def test_an_officer_schedules_a_site_visit_and_subscribes_to_it(new_page, bureau, mailbox, axe):
    from playwright.sync_api import expect

    server, cast, _ = bureau
    lead_id = officers_lead(server.app, cast)
    set_staff_language(server.app, [cast.officer, cast.leader], "en")

    def t(msgid, **variables):
        return server.translate("en", msgid, **variables)

    page = new_page(viewport=DESKTOP, locale="en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": "en", "url": server.url + "/crm"}])
    sign_in(page, t, "li@bureau.example")
    page.goto(f"/crm/leads/{lead_id}")
    axe(page, "lead file with its visits panel")
    page.get_by_role("link", name=t("Schedule a visit or meeting")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Schedule a visit or meeting"))
    axe(page, "scheduling form")

    berlin = ZoneInfo("Europe/Berlin")
    day = (datetime.now(berlin) + timedelta(days=4)).date()
    page.get_by_label(t("Title"), exact=True).fill("Plot A-03 and the test hall")
    page.get_by_label(t("Date"), exact=True).fill(day.isoformat())
    page.get_by_label(t("Start time")).fill("10:00")
    expect(page.get_by_label(t("Time zone of the date and time"))).to_have_value("Europe/Berlin")
    page.get_by_label(t("Place"), exact=False).first.fill("Park service centre")
    page.get_by_label(t("Agenda"), exact=False).fill("1. Plot A-03\n2. Test hall")
    expect(page.get_by_label("Petra Keller <petra@keller.example>")).to_be_checked()
    expect(page.get_by_label("chen")).to_be_checked()  # the liaison leader
    review_shot(page, "appointment-form", full_page=True)
    page.get_by_role("button", name=t("Save and send the invitations")).click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(f"{t('Site visit')}: Plot A-03 and the test hall")
    expect(page.get_by_role("status").first).to_contain_text(
        t("Scheduled; the invitations are on their way.")
    )
    facts = page.locator(".appointment-facts")
    expect(facts).to_contain_text("10:00 (Europe/Berlin)")
    beijing = datetime(day.year, day.month, day.day, 10, tzinfo=berlin).astimezone(
        ZoneInfo("Asia/Shanghai")
    )
    expect(facts).to_contain_text(t("%(time)s Beijing time", time="").strip() or "Beijing")
    expect(facts).to_contain_text(beijing.strftime("%H:%M"))
    axe(page, "the visit's page")
    review_shot(page, "appointment-visit", full_page=True)

    # The investor's invitation: a calendar the icalendar parser reads, a REQUEST for 10:00 Berlin.
    page.wait_for_timeout(200)
    deadline = datetime.now() + timedelta(seconds=10)
    while not mailbox.to("petra@keller.example") and datetime.now() < deadline:
        page.wait_for_timeout(200)
    (invitation,) = mailbox.to("petra@keller.example")
    part = next(p for p in invitation.message.walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "REQUEST"
    (event,) = Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(day.year, day.month, day.day, 10, tzinfo=berlin)
    uid = str(event["UID"])

    page.goto("/crm/my-day")
    expect(page.get_by_role("heading", name=t("Visits and meetings today"))).to_be_visible()
    axe(page, "My day with its visits and meetings")

    page.goto(f"/crm/calendar/week?start={day.isoformat()}")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("My week"))
    expect(page.get_by_role("link", name=f"{t('Site visit')}: Plot A-03")).to_be_visible()
    axe(page, "the week view")
    review_shot(page, "appointment-week", full_page=True)

    page.get_by_role("link", name=t("Subscribe in your calendar app")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("My calendar feed"))
    axe(page, "calendar feed page, off")
    page.get_by_role("button", name=t("Turn the feed on")).click()
    address = page.get_by_label(t("Calendar address")).input_value()
    assert address.startswith(server.url) and address.endswith(".ics")
    axe(page, "calendar feed page, new address shown")

    # A calendar app has no session: a fresh browser context fetches the secret address.
    subscriber = new_page(viewport=DESKTOP)
    response = subscriber.request.get(address)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    feed = Calendar.from_ical(response.body())
    (entry,) = feed.walk("VEVENT")
    assert str(entry["UID"]) == uid
    assert "Plot A-03 and the test hall" in str(entry["SUMMARY"])
    assert str(entry["LOCATION"]) == "Park service centre"

    # Turned off, the address answers nothing.
    page.get_by_role("button", name=t("Turn the feed off")).click()
    expect(page.get_by_text(t("Your feed is off."))).to_be_visible()
    assert subscriber.request.get(address).status == 404
