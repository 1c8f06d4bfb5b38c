"""What HTTP caches may keep: public pages for everyone, private ones never, static files a year."""

import re

import pytest

from tests.conftest import PAGES

PUBLIC_PAGES = [path for path in PAGES if path != "/inquiry"]


def public(app) -> str:
    c = app.config
    return (
        f"public, max-age={c['PUBLIC_MAX_AGE']}, s-maxage={c['PUBLIC_S_MAXAGE']}, "
        f"stale-while-revalidate={c['PUBLIC_STALE_SECONDS']}"
    )


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_may_be_kept_by_any_cache(app, visitor, path):
    response = visitor.get(f"/de{path}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == public(app)
    assert response.headers["ETag"]
    # The same for every visitor: no cookie (no session started), nothing varies by cookie.
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


@pytest.mark.parametrize("path", ["/sitemap.xml", "/robots.txt"])
def test_sitemap_and_robots_are_public(app, visitor, path):
    response = visitor.get(path)
    assert response.headers["Cache-Control"] == public(app)
    again = visitor.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_figures_are_settings(app, visitor, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_MAX_AGE", 5)
    monkeypatch.setitem(app.config, "PUBLIC_S_MAXAGE", 3)
    monkeypatch.setitem(app.config, "PUBLIC_STALE_SECONDS", 7)
    response = visitor.get("/en/news")
    assert response.headers["Cache-Control"] == (
        "public, max-age=5, s-maxage=3, stale-while-revalidate=7"
    )


def test_a_request_with_a_session_gets_a_private_answer(app):
    client = app.test_client()
    client.get("/en/inquiry")  # the form's CSRF token starts a session
    response = client.get("/en/land/N-01")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in response.headers["Vary"]


@pytest.mark.parametrize("path", ["/en/inquiry", "/en/portal/sign-in"])
def test_pages_with_a_form_token_stay_uncached(visitor, path):
    response = visitor.get(path)
    assert response.headers["Cache-Control"] == "no-store"
    assert "session=" in response.headers["Set-Cookie"]


def test_a_public_page_that_writes_the_session_turns_private(app, visitor, monkeypatch):
    from flask import session

    view = app.view_functions["site.policies"]

    def touching_the_session(**kwargs):
        session["seen"] = True
        return view(**kwargs)

    monkeypatch.setitem(app.view_functions, "site.policies", touching_the_session)
    response = visitor.get("/en/policies")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Cookie" in response.headers["Vary"]


# -- static files ----------------------------------------------------------------------------


def static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/(?:crm/)?static/[^"]+)"', html)


def test_static_urls_carry_the_hash_of_the_file(visitor):
    urls = static_urls(visitor.get("/en/").get_data(as_text=True))
    assert urls and all(re.search(r"\?v=[0-9a-f]{12}$", url) for url in urls)
    for url in urls:
        response = visitor.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Vary" not in response.headers


def test_crm_static_urls_are_versioned_too(visitor):
    html = visitor.get("/crm/login").get_data(as_text=True)
    urls = [url for url in static_urls(html) if url.startswith("/crm/")]
    assert urls and all("?v=" in url for url in urls)
    for url in urls:
        assert "immutable" in visitor.get(url).headers["Cache-Control"], url


@pytest.mark.parametrize("query", ["", "?v=000000000000"])
def test_unversioned_or_outdated_static_urls_are_revalidated(visitor, query):
    response = visitor.get(f"/static/site/css/site.css{query}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, no-cache"
