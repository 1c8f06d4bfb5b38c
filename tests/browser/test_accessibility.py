"""axe-core WCAG 2.2 AA on every public page type in every language, and no foreign requests."""

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import LANGS, PHONE

pytestmark = pytest.mark.browser

# Page types of the public site; "inquiry-errors" is the form sent back empty.
PAGE_TYPES = (
    "home",
    "land",
    "land-filtered",
    "plot",
    "policies",
    "policy",
    "infrastructure",
    "news",
    "news-item",
    "enterprises",
    "one-stop-service",
    "contact",
    "privacy",
    "inquiry",
    "inquiry-errors",
    "thanks",
    "not-found",
)
PATHS = {
    "home": "/{lang}/",
    "land": "/{lang}/land",
    "land-filtered": "/{lang}/land?zone=north&status=available",
    "plot": "/{lang}/land/N-01",
    "policies": "/{lang}/policies",
    "infrastructure": "/{lang}/infrastructure",
    "news": "/{lang}/news",
    "enterprises": "/{lang}/enterprises",
    "one-stop-service": "/{lang}/one-stop-service",
    "contact": "/{lang}/contact",
    "privacy": "/{lang}/privacy",
    "inquiry": "/{lang}/inquiry",
    "inquiry-errors": "/{lang}/inquiry",
    "thanks": "/{lang}/inquiry/thanks",
    "not-found": "/{lang}/no-such-page",
}


def _first(server, section: str, lang: str) -> str:
    slugs = server.slugs(section, lang)
    assert slugs, f"no {section} content in {lang}: nothing to test"
    return slugs[0]


def open_page_type(page, server, kind: str, lang: str) -> None:
    """Bring the page to the state named by kind, checking the HTTP status on the way."""
    if kind == "policy":
        path = f"/{lang}/policies/{_first(server, 'policies', lang)}"
    elif kind == "news-item":
        path = f"/{lang}/news/{_first(server, 'news', lang)}"
    else:
        path = PATHS[kind].format(lang=lang)
    response = page.goto(path)
    expected = 404 if kind == "not-found" else 200
    assert response.status == expected, f"{path} answered {response.status}"
    if kind == "inquiry-errors":
        with page.expect_navigation() as sent:
            page.get_by_role("button", name=server.translate(lang, "Send inquiry")).click()
        assert sent.value.status == 422, "an empty inquiry was not refused"
        assert page.locator(".error-summary").is_visible()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_no_accessibility_violations(new_page, live_server, axe, kind, lang):
    page = new_page()
    open_page_type(page, live_server, kind, lang)
    axe(page, f"{kind} in {lang} at 1280 px")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["home", "land", "inquiry"])
def test_no_accessibility_violations_on_a_phone(new_page, live_server, axe, kind, lang):
    page = new_page(viewport=PHONE)
    open_page_type(page, live_server, kind, lang)
    axe(page, f"{kind} in {lang} at 360 px")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{kind} in {lang} scrolls sideways by {overflow} px at 360 px"


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_every_request_stays_on_our_host(new_page, live_server, kind):
    page = new_page()
    foreign, broken, errors = [], [], []

    def watch(route):
        url = urlsplit(route.request.url)
        if url.scheme in {"data", "blob"} or url.netloc == live_server.host:
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    def check_response(response):
        if response.status >= 400 and response.request.resource_type != "document":
            broken.append(f"{response.status} {response.url}")

    def check_console(message):
        # Failed loads are checked above, by response; a CSP refusal or a script error lands here.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    page.context.route("**/*", watch)
    page.on("response", check_response)
    page.on("console", check_console)
    for lang in LANGS:
        open_page_type(page, live_server, kind, lang)
        page.wait_for_load_state("networkidle")
    assert not foreign, f"{kind} requested other hosts: {foreign}"
    assert not broken, f"{kind} has broken assets: {broken}"
    assert not errors, f"{kind}: console errors {errors}"
