"""axe-core WCAG 2.2 AA on every public page type in every language, and no foreign requests.

One visit a page type and language checks both: the page is loaded once (it was twice)."""

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import DESKTOP, LANGS, PHONE

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


class HostWatch:
    """What a page asked of other hosts, which of its assets broke, what its console said."""

    def __init__(self, page, host: str):
        self.foreign, self.broken, self.errors = [], [], []
        self.host, self.page = host, page
        self.pending = set()
        page.route("**/*", self.route)
        page.on("request", self.started)
        page.on("requestfinished", self.ended)
        page.on("requestfailed", self.ended)
        page.on("response", self.response)
        page.on("console", self.console)

    def started(self, request):
        self.pending.add(request)

    def ended(self, request):
        self.pending.discard(request)

    def settle(self, seconds: float = 10) -> None:
        """Wait until every request the page made has ended (axe usually outlasts them), without
        the half second of silence "networkidle" waits for on each page."""
        waited = 0.0
        while self.pending and waited < seconds:
            self.page.wait_for_timeout(20)
            waited += 0.02
        assert not self.pending, f"still loading: {[r.url for r in self.pending]}"

    def route(self, route):
        url = urlsplit(route.request.url)
        if url.scheme in {"data", "blob"} or url.netloc == self.host:
            route.continue_()
        else:
            self.foreign.append(route.request.url)
            route.abort()

    def response(self, response):
        if response.status >= 400 and response.request.resource_type != "document":
            self.broken.append(f"{response.status} {response.url}")

    def console(self, message):
        # Failed loads are checked above, by response; a CSP refusal or a script error lands here.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def check(self, what: str) -> None:
        assert not self.foreign, f"{what} requested other hosts: {self.foreign}"
        assert not self.broken, f"{what} has broken assets: {self.broken}"
        assert not self.errors, f"{what}: console errors {self.errors}"


@pytest.fixture(scope="module")
def visitor(browser, _live_server):
    """One browser context for the module's visits (a new page each test): public pages keep
    nothing of a visitor that changes how the next page looks."""
    context = browser.new_context(
        base_url=_live_server.url, locale="en-GB", service_workers="block"
    )
    context.set_default_timeout(15_000)
    # A blank page kept open keeps the context's renderer process between the tests' pages: a
    # new one for each page cost 0.1 CPU-s and axe-core compiled anew.
    context.new_page()
    yield context
    context.close()


@pytest.fixture
def visit(visitor, live_server):
    """A fresh page in the module's context, cookies cleared, pages closed after the test."""
    visitor.clear_cookies()
    pages = []

    def open_page(viewport=DESKTOP):
        page = visitor.new_page()
        page.set_viewport_size(viewport)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.close()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_no_accessibility_violations_and_no_foreign_requests(visit, live_server, axe, kind, lang):
    """Every page type in every language (each has its own content file): axe-core, and every
    request it makes stays on our host with no broken asset or console error."""
    page = visit()
    watch = HostWatch(page, live_server.host)
    open_page_type(page, live_server, kind, lang)
    axe(page, f"{kind} in {lang} at 1280 px")
    watch.settle()  # what the page still loads is watched too
    watch.check(f"{kind} in {lang}")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["home", "land", "inquiry"])
def test_no_accessibility_violations_on_a_phone(visit, live_server, axe, kind, lang):
    page = visit(viewport=PHONE)
    open_page_type(page, live_server, kind, lang)
    axe(page, f"{kind} in {lang} at 360 px")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{kind} in {lang} scrolls sideways by {overflow} px at 360 px"


def test_the_checks_fail_on_a_violation_and_a_foreign_request(visit, live_server, axe):
    """The two checks above can fail: an image without text and from another host is caught."""
    page = visit()
    watch = HostWatch(page, live_server.host)
    open_page_type(page, live_server, "contact", "en")
    page.evaluate(
        """() => {
            const image = document.createElement('img');
            image.src = 'http://foreign.example/logo.png';
            document.querySelector('main').append(image);
        }"""
    )
    with pytest.raises(AssertionError, match="image-alt"):
        axe(page, "contact with an image without text")
    watch.settle()
    with pytest.raises(AssertionError, match="foreign.example"):
        watch.check("contact with an image from another host")
