"""Security headers and cookies on every route, set in one place."""

import re

import pytest

from tests.conftest import PAGES, assert_security_headers

ALL_URLS = [f"/{lang}{path}" for lang in ("zh", "de") for path in PAGES] + [
    "/",
    "/sitemap.xml",
    "/robots.txt",
    "/static/site/css/site.css",
    "/en/no-such-page",
    "/crm/",
    "/crm/login",
    "/crm/static/css/crm.css",
    "/en/inquiry/thanks",
    # Event landing pages and QR codes (404 here: no events loaded; tests/site covers the 200s).
    "/de/events/eu-china-fair-2026",
    "/de/events/eu-china-fair-2026/qr.svg",
    "/de/events/eu-china-fair-2026/qr.png",
    # The enterprise portal (without a session: the sign-in page, a dead link, redirects).
    "/de/portal/",
    "/de/portal/sign-in",
    "/de/portal/link/x",
    "/de/portal/referrals/new",
    "/de/portal/referrals/1",
    "/de/project-status/x",
    # Downloads and pictures (tests/site/test_documents.py, test_pictures.py cover them fully).
    "/de/brochure.pdf",
    "/en/location",
    "/zh/contact/wechat-china.svg",
    "/de/land/N-01/sheet.pdf",
    "/media/no-such-picture.webp",
    # Probes and metrics (core/health.py, core/metrics.py; tests/core/test_observability.py).
    "/healthz",
    "/readyz",
    "/metrics",
]


def test_every_get_route_is_covered(app):
    """Each public GET route appears in the list above (by its rule).

    CRM routes are checked signed in, role by role, in tests/crm/test_role_matrix.py.
    """
    covered = {r.rule for r in app.url_map.iter_rules() if not r.endpoint.startswith("crm.")}
    tested_rules = set()
    adapter = app.url_map.bind("localhost")
    for url in ALL_URLS:
        try:
            rule, _ = adapter.match(url.split("?")[0], return_rule=True)
            tested_rules.add(rule.rule)
        except Exception:  # noqa: S112 - 404 URLs match no rule on purpose
            continue
    untested = {
        rule
        for rule in covered - tested_rules
        if "GET" in next(r for r in app.url_map.iter_rules() if r.rule == rule).methods
    }
    assert not untested, f"routes without a header test: {sorted(untested)}"


@pytest.mark.parametrize("url", ALL_URLS)
def test_security_headers(client, url):
    response = client.get(url)
    # /readyz says 503 here: the test database is made without migrations (no alembic_version).
    assert response.status_code < 500 or url == "/readyz"
    assert_security_headers(response, url)


def test_hsts_and_secure_cookie_in_production(app, client):
    app.config["PRODUCTION"] = True
    response = client.get("/en/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_hsts_in_development(client):
    assert "Strict-Transport-Security" not in client.get("/en/").headers


def test_production_refuses_the_default_secret(monkeypatch):
    from core.checks import refuse_unsafe
    from core.config import from_env

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        refuse_unsafe(from_env())
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://invest.example.cn")
    monkeypatch.setenv("TRUSTED_HOSTS", "invest.example.cn")
    config = from_env()
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_language_cookie_flags(client):
    response = client.get("/fr/?set_lang=1")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=fr")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("path", PAGES)
def test_no_asset_from_another_host(client, path):
    html = client.get(f"/en{path}").get_data(as_text=True)
    # src of any element and href of <link>; <a href> is navigation, not an asset
    sources = re.findall(r'\bsrc="([^"]*)"', html)
    sources += re.findall(r'<link\b(?![^>]*rel="(?:alternate|canonical)")[^>]*href="([^"]*)"', html)
    sources += re.findall(r"url\(([^)]*)\)", html)
    assert sources, "expected some assets"
    for src in sources:
        src = src.strip("'\"")
        local = src.startswith("#") or (src.startswith("/") and not src.startswith("//"))
        assert local, f"{path}: foreign asset {src}"


def test_stylesheet_has_no_foreign_url(client):
    css = client.get("/static/site/css/site.css").get_data(as_text=True)
    assert "http" not in css and "@import" not in css
