"""Browser fixtures: the real app on a live server, Debian's Chromium via Playwright, axe-core."""

import importlib.util
import json
import os
import threading
from pathlib import Path

import pytest

from tests.smtp import HOST, SMTPServer

# Debian's "old headless shell" build of Chromium (what Playwright itself runs headless): the
# same Blink and V8 without the browser's UI layers, half the CPU a page of the full browser
# costs here (measured: 226 against 476 CPU-s for tests/browser). The full browser serves when
# it is the only one installed.
CHROMIUM = next(
    (
        path
        for path in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
        if Path(path).exists()
    ),
    "/usr/bin/chromium-headless-shell",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # One renderer process for every page: a test's pages are used one after another, and
    # starting a process for each new page cost more than the page (tests/browser: Chromium's
    # CPU 211 → 197 s).
    "--renderer-process-limit=1",
]
# BROWSER_CPU=1 (for measuring): renderers are started by the browser process itself, not by
# its zygote, so `/usr/bin/time` of a pytest run counts their CPU seconds too.
if os.environ.get("BROWSER_CPU") == "1":
    CHROMIUM_ARGS.append("--no-zygote")
AXE_SOURCE = Path(__file__).with_name("vendor").joinpath("axe.min.js")
# Where the live server hands axe-core to the pages it checks (a test server's own path).
AXE_PATH = "/__tests__/axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LANGS = ("zh", "en", "de", "fr")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}
# REVIEW_SHOTS=<folder>: the layout tests leave a picture of each page they measure there, for a
# person to look at (the tests assert the layout themselves); unset, none is taken.
REVIEW_SHOTS = os.environ.get("REVIEW_SHOTS")
# CI sets this: a machine without a browser must fail the run, not pass it with skips.
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
PROCESSING_CONSENT = (
    "I agree that the investment bureau stores and uses the details in this form "
    "to answer my inquiry."
)


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return (
            f"{CHROMIUM} is not installed (apt-get install chromium-headless-shell fonts-noto-cjk)"
        )
    if importlib.util.find_spec("playwright") is None:
        return "the Python package playwright is not installed (make install)"
    return None


BROWSER_MISSING = _browser_missing()


def pytest_terminal_summary(terminalreporter):
    if BROWSER_MISSING and not REQUIRE_BROWSER:
        terminalreporter.write_line(
            f"browser tests SKIPPED: {BROWSER_MISSING}; set REQUIRE_BROWSER=1 to make this fail",
            yellow=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session; each test opens its own context."""
    if BROWSER_MISSING:
        if REQUIRE_BROWSER:
            pytest.fail(f"REQUIRE_BROWSER=1 but {BROWSER_MISSING}", pytrace=False)
        pytest.skip(f"browser tests skipped: {BROWSER_MISSING}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _closing(app):
    """Close each answer as soon as its body is written, as gunicorn does (the app hands a
    request's mail to the queue then, which in tests sends it at once). Werkzeug's development
    server first drains the socket, which can wait on the browser, and skips the close when
    that read fails. Also serves axe-core at AXE_PATH, cached by the browser."""
    axe = AXE_SOURCE.read_bytes()
    headers = [
        ("Content-Type", "text/javascript; charset=utf-8"),
        ("Content-Length", str(len(axe))),
        ("Cache-Control", "public, max-age=86400"),
    ]

    def wsgi(environ, start_response):
        if environ["PATH_INFO"] == AXE_PATH:
            start_response("200 OK", headers)
            yield axe
            return
        answer = app(environ, start_response)
        try:
            yield from answer
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return wsgi


class LiveServer:
    """The app served over HTTP on 127.0.0.1 in a background thread."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
        self.host = f"127.0.0.1:{self.server.server_port}"
        self.url = f"http://{self.host}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def translate(self, lang: str, msgid: str, **variables) -> str:
        """A UI string as the app shows it in lang, so locators follow the catalogs."""
        from flask_babel import force_locale, gettext

        with self.app.test_request_context("/"), force_locale(lang):
            return gettext(msgid, **variables)

    def slugs(self, section: str, lang: str) -> list[str]:
        from core.content import get_content

        with self.app.app_context():
            return [page.slug for page in get_content().section(section, lang)]


@pytest.fixture(scope="session")
def _live_server(browser, tmp_path_factory):
    from core import create_app
    from core.cli import load_plots
    from core.extensions import db
    from tests.conftest import TEST_DATABASE_URL, make_config
    from tests.databases import own_database

    folder = tmp_path_factory.mktemp("live")
    uri = own_database(TEST_DATABASE_URL, folder, "live")
    # Every page and form many times from one address: relax the per-IP form limits.
    app = create_app(
        make_config(
            folder,
            SQLALCHEMY_DATABASE_URI=uri,
            INQUIRY_MIN_SECONDS=0,
            INQUIRY_RATE_LIMIT="10000 per minute",
            PORTAL_RATE_LIMIT="10000 per minute",
            LOGIN_RATE_LIMIT="10000 per minute",
        )
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_plots()
    server = LiveServer(app)
    app.config["PUBLIC_BASE_URL"] = server.url  # mailed and printed links lead back here
    server.thread.start()
    yield server
    server.server.shutdown()
    server.thread.join(timeout=10)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(_live_server):
    """The live server with the demo plots and enterprises (other modules share its database)."""
    from sqlalchemy import func, select

    from core.cli import load_plots
    from core.enterprises import load_enterprises
    from core.extensions import db
    from core.models import Enterprise, Plot

    with _live_server.app.app_context():
        if not db.session.scalar(select(func.count()).select_from(Plot)):
            load_plots()
        if not db.session.scalar(select(func.count()).select_from(Enterprise)):
            load_enterprises()
        db.session.remove()
    return _live_server


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh context: `new_page(viewport=PHONE, locale="zh-CN")`."""
    contexts = []

    def open_page(viewport=DESKTOP, locale="en-GB"):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, locale=locale, service_workers="block"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def review_shot(target, name: str, **options) -> None:
    """A screenshot of a page or an element into REVIEW_SHOTS as <name>.png, when it is set."""
    if REVIEW_SHOTS:
        folder = Path(REVIEW_SHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        target.screenshot(path=str(folder / f"{name}.png"), **options)


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    at {json.dumps(node['target'], ensure_ascii=False)}")
            lines.append(f"       {node['html'][:300]}")
            if node.get("summary"):
                lines.append("       " + node["summary"].replace("\n", "\n       "))
    return "\n".join(lines)


# The page reads axe-core from its own server's cache and evaluates it: through the DevTools
# protocol, which the site's CSP does not govern, and only into a page about to be checked. The
# same source text in the same renderer is then compiled once (V8's compilation cache), where
# sending the 640 kB through Playwright to each page cost 0.38 CPU-s a check (0.08 so).
_LOAD_AXE = """(path) => {
    if (typeof window.axe === 'object') return true;
    const request = new XMLHttpRequest();
    request.open('GET', path, false);
    request.send();
    if (request.status !== 200) return false;
    (0, eval)(request.responseText);
    return true;
}"""


@pytest.fixture(scope="session")
def axe():
    """check(page, what): run axe-core's WCAG 2.2 AA rules on the page; zero violations."""
    source = AXE_SOURCE.read_text(encoding="utf-8")

    def check(page, what: str = "") -> None:
        if not page.evaluate(_LOAD_AXE, AXE_PATH):  # a page of another server: send axe
            page.evaluate(source)
        # Only the violations are asked for: axe then leaves out the node details of passes and
        # of inapplicable rules, much of its time; the rules run and the violations are the same.
        violations = page.evaluate(
            """async (tags) => {
                const result = await axe.run(document, {
                    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
                });
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                    nodes: v.nodes.map(n => ({
                        target: n.target, html: n.html, summary: n.failureSummary,
                    })),
                }));
            }""",
            WCAG_TAGS,
        )
        assert not violations, (
            f"{len(violations)} accessibility violation(s) on {what or page.url}:\n"
            + _describe(violations)
        )

    return check


# -- the bureau's staff and their mail --------------------------------------------------------


@pytest.fixture
def bureau(live_server):
    """No leads yet; the demo plots and a cast of staff (manager with TOTP) in place."""
    from core.cli import load_plots
    from core.extensions import db
    from core.models import User
    from tests.conftest import reset_database
    from tests.factories import make_cast

    with live_server.app.app_context():
        reset_database()
        load_plots()
        cast = make_cast()
        secret = db.session.get(User, cast.manager).totp_secret
        db.session.remove()
    return live_server, cast, secret


@pytest.fixture
def mailbox(live_server):
    """A local SMTP server the live app sends to, for the length of one test."""
    server = SMTPServer()
    server.start()
    config = live_server.app.config
    saved = config["MAIL_SERVER"], config["MAIL_PORT"]
    config["MAIL_SERVER"], config["MAIL_PORT"] = HOST, server.port
    yield server
    config["MAIL_SERVER"], config["MAIL_PORT"] = saved
    server.stop()


def set_staff_language(app, user_ids, lang: str) -> None:
    from core.extensions import db
    from core.models import User

    with app.app_context():
        for user_id in user_ids:
            db.session.get(User, user_id).language = lang
        db.session.commit()
        db.session.remove()


def settled(page) -> None:
    """Wait until htmx has swapped the last answer in and wired the new content: it attaches
    its handlers to swapped-in elements a settle delay later, and a change made before then is
    not heard (a person cannot be that quick; a test can)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def sign_in(page, t, email: str, totp_secret: str | None = None, password: str | None = None):
    from tests.factories import PASSWORD

    page.goto("/crm/login")
    page.get_by_label(t("Email")).fill(email)
    page.get_by_label(t("Password")).fill(password or PASSWORD)
    page.get_by_role("button", name=t("Sign in")).click()
    if totp_secret:
        import pyotp

        code = page.get_by_label(t("Code from your authenticator app, or a recovery code"))
        code.fill(pyotp.TOTP(totp_secret).now())
        page.get_by_role("button", name=t("Continue")).click()
    # Signed in: the CRM's own navigation is there.
    page.get_by_role("button", name=t("Sign out")).wait_for()


def enter_signed_in(page, server, email: str) -> None:
    """Give the page's context the session cookie the sign-in form would have left (the form
    and its second factor have their own journey: tests/browser/test_crm.py). Saves a test two
    pages and two form posts before what it is about."""
    from sqlalchemy import select

    from core.extensions import db
    from core.models import User
    from crm.auth.signin import stamp_session

    app = server.app
    with app.test_request_context("/crm/"):
        user = db.session.scalar(select(User).where(User.email == email))
        session = {"_user_id": user.get_id(), "_fresh": True}
        stamp_session(session)
        cookie = app.session_interface.get_signing_serializer(app).dumps(session)
        db.session.remove()
    page.context.add_cookies(
        [
            {
                "name": app.config["SESSION_COOKIE_NAME"],
                "value": cookie,
                "url": server.url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    # Signed in for real (a page that fell back to the login form would pass axe unnoticed).
    home = page.request.get(f"{server.url}/crm/")
    assert home.ok and "/crm/login" not in home.url, f"{email} is not signed in: {home.url}"
