"""Phones: no page scrolls sideways at 320 px in any language (WCAG 1.4.10 reflow), the
estimator's result fits 390 px, and the land page shows its results first with the filters in a
drawer that opens without script."""

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import LANGS
from tests.browser.test_accessibility import PAGE_TYPES, open_page_type

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}
PHONE_390 = {"width": 390, "height": 844}
# Public pages beyond the page types of the accessibility test.
MORE_PATHS = (
    "/{lang}/events/eu-china-fair-2026",
    "/{lang}/incentives/estimator",
    "/{lang}/land/S-01",
    "/{lang}/land?zone=south&min_ha=999",
    "/{lang}/portal/",
)
FILLED = {
    "zh": "?investment=200000000&industry=electronics&land_mu=30&start=2",
    "en": "?investment=200%2C000%2C000&industry=electronics&land_ha=2&start=2",
    "de": "?investment=200.000.000&industry=electronics&land_ha=2&start=2",
    "fr": "?investment=200+000+000&industry=electronics&land_ha=2&start=2",
}
# What sticks out, so a failure names the element to fix.
WIDEST = """() => {
  const limit = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right > limit + 0.5 && box.width > 0) {
      const name = `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;
      out.push(`${name} right=${Math.round(box.right)}`);
    }
  }
  return out.slice(0, 5);
}"""


def sideways(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def with_events(live_server):
    """The demo fair, for its landing page (the page its booth's QR code opens)."""
    from core.events import load_events
    from core.extensions import db

    with live_server.app.app_context():
        load_events()
        db.session.remove()
    return live_server


@pytest.mark.parametrize("lang", LANGS)
def test_no_public_page_scrolls_sideways_at_320_px(new_page, with_events, lang):
    from tests.conftest import PAGES

    live_server = with_events
    page = new_page(viewport=NARROW)
    problems, seen = [], set()
    for kind in PAGE_TYPES:
        open_page_type(page, live_server, kind, lang)
        seen.add(urlsplit(page.url)._replace(scheme="", netloc="").geturl())
        if sideways(page) > 0:
            problems.append(f"{kind}: {sideways(page)} px {page.evaluate(WIDEST)}")
    more = [p.format(lang=lang) for p in MORE_PATHS]
    estimate = f"/{lang}/incentives/estimator{FILLED[lang]}"
    # Each address once: most public pages are page types too.
    for path in [f"/{lang}{p}" for p in PAGES if f"/{lang}{p}" not in seen] + more + [estimate]:
        response = page.goto(path)
        assert response.status < 400, f"{path} answered {response.status}"
        if sideways(page) > 0:
            problems.append(f"{path}: {sideways(page)} px {page.evaluate(WIDEST)}")
    assert not problems, f"{lang} at 320 px:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_estimator_result_fits_a_390_px_phone(new_page, live_server, lang):
    page = new_page(viewport=PHONE_390)
    response = page.goto(f"/{lang}/incentives/estimator{FILLED[lang]}")
    assert response.status == 200
    assert page.locator("table").first.is_visible()
    assert sideways(page) <= 0, page.evaluate(WIDEST)


@pytest.mark.parametrize("lang", LANGS)
def test_land_page_shows_plots_first_on_a_phone(new_page, live_server, lang):
    page = new_page(viewport=PHONE_390)
    page.goto(f"/{lang}/land")
    first_plot = page.locator(".plot-card").first.bounding_box()
    # The first plot within two screens (it was 2,240-2,540 px down), the explanation after it.
    assert first_plot["y"] < 2 * PHONE_390["height"], first_plot
    explanation = page.locator(".land-intro").bounding_box()
    assert explanation["y"] > first_plot["y"]
    # The filters wait in a closed drawer.
    assert not page.locator("#f-zone").is_visible()


def test_filter_drawer_opens_and_filters_without_script(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE_390, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto("/en/land")
        page.locator(".filter-drawer > summary").click()
        zone = page.locator("#f-zone")
        assert zone.is_visible()
        zone.select_option("south")
        with page.expect_navigation():
            page.get_by_role("button", name=live_server.translate("en", "Show plots")).click()
        assert "zone=south" in page.url
        codes = page.locator(".plot-card h4").all_inner_texts()
        assert codes and all("S-" in code for code in codes), codes
    finally:
        context.close()
