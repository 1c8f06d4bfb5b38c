"""Booth capture on a phone with the network cut: entries wait on the device, then one lead each."""

import time

import pytest

from tests.browser.conftest import set_staff_language, sign_in

pytestmark = pytest.mark.browser

SMALL_PHONE = {"width": 360, "height": 740}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
VISITORS = (
    ("Keller Antriebstechnik GmbH", "Petra Keller", "petra@keller.example", "DE"),
    ("Lumière Optique SAS", "Claire Martin", "claire@lumiere.example", "FR"),
    ("成都天府精密机械有限公司", "王伟", "wang@tianfu.example", "CN"),
)


@pytest.fixture
def fair(live_server):
    """An empty CRM with the staff cast (working in English) and this year's EU-China fair."""
    from datetime import date, timedelta

    from core.cli import load_plots
    from core.extensions import db
    from core.models import Event
    from tests.conftest import reset_database
    from tests.factories import make_cast

    with live_server.app.app_context():
        reset_database()
        load_plots()
        cast = make_cast()
        today = date.today()
        event = Event(
            slug="eu-china-fair",
            name={
                "en": "EU-China Business & Technology Cooperation Fair",
                "zh": "中国—欧盟投资贸易科技合作洽谈会",
            },
            starts_on=today,
            ends_on=today + timedelta(days=2),
        )
        db.session.add(event)
        db.session.commit()
        event_id = event.id
        db.session.remove()
    set_staff_language(live_server.app, [cast.officer], "en")
    return live_server, cast, event_id


def in_english(page, server) -> None:
    """The sign-in page in English too (it is Chinese until someone chooses)."""
    page.context.add_cookies([{"name": "staff_lang", "value": "en", "url": server.url}])


def _leads(app):
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Lead

    with app.app_context():
        rows = db.session.execute(
            select(Lead.company_name, Lead.event_id, Lead.captured_by_id, Lead.capture_key)
        ).all()
        db.session.remove()
    return rows


def _file_count(app) -> int:
    from sqlalchemy import func, select

    from core.extensions import db
    from core.models import LeadFile

    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(LeadFile))
        db.session.remove()
    return count


def _wait_until(page, predicate: str, seconds: float = 15) -> None:
    """Poll with page.evaluate: wait_for_function may need eval, which the CSP forbids."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}"
        page.wait_for_timeout(200)


def _waiting(server, count: int) -> str:
    return server.translate(
        "en",
        "%(num)s entry waiting to be sent" if count == 1 else "%(num)s entries waiting to be sent",
        num=count,
    )


def _capture(page, t, company, name, email, country, photo=False) -> None:
    page.get_by_label(t("Company"), exact=True).fill(company)
    page.get_by_label(t("Contact name")).fill(name)
    page.get_by_label(t("Email")).fill(email)
    page.get_by_label(t("Country or region")).select_option(country)
    page.get_by_label(t("Hot"), exact=True).check()
    page.get_by_label(t("Tags")).fill("fair, 2026")
    if photo:
        page.get_by_label(t("Photo of the business card")).set_input_files(
            {"name": "card.jpg", "mimeType": "image/jpeg", "buffer": JPEG}
        )
    page.get_by_role("button", name=t("Save entry")).click()


def test_offline_capture_is_sent_once_when_back_online(new_page, fair, axe):
    server, cast, event_id = fair

    def t(msgid, **variables):
        return server.translate("en", msgid, **variables)

    page = new_page(viewport=SMALL_PHONE)
    in_english(page, server)
    sign_in(page, t, "li@bureau.example")
    page.goto(f"/crm/capture/{event_id}")
    count = page.locator("#capture-count")
    count.get_by_text(_waiting(server, 0)).wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
    axe(page, "capture page (online)")

    page.context.set_offline(True)
    for number, visitor in enumerate(VISITORS, start=1):
        _capture(page, t, *visitor, photo=number == 1)
        count.get_by_text(_waiting(server, number)).wait_for()
        # The form is clear for the next visitor, the event still chosen.
        assert page.get_by_label(t("Company"), exact=True).input_value() == ""
        assert page.get_by_label(t("Event")).input_value() == str(event_id)
    assert count.inner_text() == _waiting(server, 3)
    assert page.locator("#capture-list li").count() == 3
    assert _leads(server.app) == []
    axe(page, "capture page (3 entries waiting)")

    page.context.set_offline(False)
    count.get_by_text(_waiting(server, 0)).wait_for(timeout=20_000)
    leads = _leads(server.app)
    assert sorted(row.company_name for row in leads) == sorted(v[0] for v in VISITORS)
    assert {(row.event_id, row.captured_by_id) for row in leads} == {(event_id, cast.officer)}
    assert _file_count(server.app) == 1

    # The same entry sent again (a retry after a lost answer) finds the lead it made.
    replay = page.evaluate(
        """async ([eventId, key]) => {
            const token = (await (await fetch('/crm/capture/token')).json()).csrf_token;
            const data = new FormData();
            const fields = {
                event_id: eventId, company_name: 'Keller again', contact_name: 'P. K.',
                email: 'p@keller.example', country: 'DE', rating: 'warm', capture_key: key,
            };
            for (const [name, value] of Object.entries(fields)) data.append(name, value);
            const response = await fetch('/crm/capture/' + eventId, {method: 'POST', body: data,
                headers: {'X-CSRFToken': token, 'Accept': 'application/json'}});
            return [response.status, await response.json()];
        }""",
        [str(event_id), leads[0].capture_key],
    )
    assert replay[0] == 200 and replay[1]["status"] == "exists"
    assert len(_leads(server.app)) == 3


def test_reload_offline_opens_the_page_from_the_service_worker_until_sign_out(browser, fair):
    server, cast, event_id = fair

    def t(msgid, **variables):
        return server.translate("en", msgid, **variables)

    context = browser.new_context(
        base_url=server.url, viewport=SMALL_PHONE, locale="en-GB", service_workers="allow"
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        in_english(page, server)
        sign_in(page, t, "li@bureau.example")
        page.goto(f"/crm/capture/{event_id}")
        # capture.js keeps the page and its files; then a reload needs no network.
        _wait_until(page, "() => navigator.serviceWorker.controller !== null")
        _wait_until(
            page,
            """() => caches.open('crm-capture-v1').then(c => c.keys())
                .then(keys => keys.some(k => new URL(k.url).pathname.endsWith('/js/capture.js'))
                              && keys.some(k => k.url.endsWith(location.pathname)))""",
        )
        context.set_offline(True)
        # Twice from the same cached page: each load must still give each entry its own key.
        for number, visitor in enumerate(VISITORS[:2], start=1):
            page.reload()
            page.get_by_role("button", name=t("Save entry")).wait_for()
            _capture(page, t, *visitor)
            page.locator("#capture-count").get_by_text(_waiting(server, number)).wait_for()
        assert _leads(server.app) == []
        context.set_offline(False)
        page.locator("#capture-count").get_by_text(_waiting(server, 0)).wait_for(timeout=20_000)
        assert len(_leads(server.app)) == 2
        # Signing out takes the kept page (it shows who was signed in) off the device.
        page.get_by_role("button", name=t("Sign out")).click()
        page.get_by_role("button", name=t("Sign in")).wait_for()
        _wait_until(page, "() => caches.has('crm-capture-v1').then(kept => !kept)")
    finally:
        context.close()
