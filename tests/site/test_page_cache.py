"""The rendered-page cache: what it serves again, what it never keeps, and when it lets go."""

import re

import pytest
import werkzeug.wrappers.response as werkzeug_response
from sqlalchemy import delete, event, select, update

from core.cli import load_plots
from core.extensions import db
from core.models import Plot, PlotUtility
from public_site import page_cache


def statements(app, client, url, **kwargs):
    """The response and the number of SQL statements the request ran."""
    seen = []

    def record(*args):
        seen.append(args[2])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url, **kwargs)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return response, len(seen)


def set_status(app, code: str, status: str) -> None:
    with app.app_context():
        db.session.scalar(select(Plot).where(Plot.code == code)).status = status
        db.session.commit()


def available_plot(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Plot.code).where(Plot.status == "available").limit(1))


def status_on_plot_page(html: str) -> str:
    return re.search(r"<dt>Status</dt><dd>([^<]+)</dd>", html).group(1)


def without_date(response) -> list[tuple[str, str]]:
    """The headers but the two that differ on every answer: its time and its request id."""
    return [(k, v) for k, v in response.headers.items() if k not in ("Date", "X-Request-ID")]


# -- served again ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/en/", "/de/land?zone=north&status=available", "/fr/land/N-01"])
def test_second_get_is_served_without_rendering_or_queries(app, cached, visitor, url):
    first, queries = statements(app, visitor, url)
    assert first.status_code == 200 and len(cached) == 1 and queries > 0
    second, queries = statements(app, visitor, url)
    assert second.status_code == 200
    assert len(cached) == 1, "rendered again"
    assert queries == 0
    assert second.get_data() == first.get_data()


def test_cached_response_has_the_same_headers_as_a_rendered_one(app, cached, visitor):
    first = visitor.get("/de/news")
    second = visitor.get("/de/news")
    assert len(cached) == 1
    assert without_date(second) == without_date(first)
    assert "Date" in second.headers
    # The security headers and the shared caches' permission, set on every response.
    assert second.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert second.headers["X-Frame-Options"] == "DENY"
    assert second.headers["Cache-Control"].startswith("public, max-age=")
    assert "Set-Cookie" not in second.headers and "Vary" not in second.headers


def test_cached_response_is_dated_when_it_is_sent(cached, visitor, monkeypatch):
    monkeypatch.setattr(werkzeug_response, "http_date", lambda: "Mon, 01 Jan 2035 00:00:00 GMT")
    visitor.get("/en/news")
    monkeypatch.setattr(werkzeug_response, "http_date", lambda: "Tue, 02 Jan 2035 00:00:00 GMT")
    assert visitor.get("/en/news").headers["Date"] == "Tue, 02 Jan 2035 00:00:00 GMT"
    assert len(cached) == 1


def test_visitors_with_and_without_a_language_cookie_share_the_entry(app, cached, visitor):
    client = app.test_client()
    client.set_cookie("lang", "de")
    first, second = visitor.get("/fr/policies"), client.get("/fr/policies")
    assert len(cached) == 1
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers
    assert without_date(second) == without_date(first)


def test_etag_gives_304_from_the_cache(app, cached, visitor):
    first = visitor.get("/en/land?zone=north")
    again = visitor.get("/en/land?zone=north", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert len(cached) == 1


def test_head_is_answered_from_the_cache(app, cached, visitor):
    full = visitor.get("/en/infrastructure")
    head = visitor.head("/en/infrastructure")
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == full.headers["Content-Length"]
    assert len(cached) == 1


def test_query_strings_and_languages_are_separate_entries(app, cached, visitor):
    urls = ["/en/land?zone=north", "/en/land?zone=south", "/de/land?zone=north", "/en/land"]
    bodies = [visitor.get(url).get_data() for url in urls]
    assert len(cached) == len(urls) and len(set(bodies)) == len(urls)
    assert [visitor.get(url).get_data() for url in urls] == bodies
    assert len(cached) == len(urls)


# -- plots change ----------------------------------------------------------------------


def test_plot_status_change_shows_at_once(app, cached, visitor):
    code = available_plot(app)
    url = f"/en/land/{code}"
    assert status_on_plot_page(visitor.get(url).get_data(as_text=True)) == "Available"
    home = visitor.get("/en/").get_data(as_text=True)
    land = visitor.get("/en/land?status=available").get_data(as_text=True)
    set_status(app, code, "reserved")
    assert status_on_plot_page(visitor.get(url).get_data(as_text=True)) == "Reserved"
    assert visitor.get("/en/").get_data(as_text=True) != home  # one plot fewer available

    # The list alone: the site plan after it shows every plot, those not matching dimmed.
    def listed(html: str) -> str:
        return html.split('<ol class="plot-results"')[1].split("</ol>")[0]

    assert f'/en/land/{code}"' not in listed(
        visitor.get("/en/land?status=available").get_data(as_text=True)
    )
    assert f'/en/land/{code}"' in listed(land)


def test_bulk_update_and_load_demo_show_at_once(app, cached, visitor):
    code = available_plot(app)
    visitor.get(f"/en/land/{code}")
    with app.app_context():
        db.session.execute(update(Plot).where(Plot.code == code).values(status="allocated"))
        db.session.commit()
    assert (
        status_on_plot_page(visitor.get(f"/en/land/{code}").get_data(as_text=True)) == "Allocated"
    )
    with app.app_context():
        db.session.execute(update(Plot).where(Plot.code == "N-01").values(outline="0,0 1,0 1,1"))
        db.session.commit()
    visitor.get("/en/land/N-01")
    with app.app_context():
        load_plots()  # what `flask load-demo` runs: the outline comes back from content
    assert 'points="0,0 1,0 1,1"' not in visitor.get("/en/land/N-01").get_data(as_text=True)


def test_rolled_back_change_keeps_the_cache(app, cached, visitor):
    visitor.get("/en/land/N-01")
    with app.app_context():
        db.session.scalar(select(Plot).where(Plot.code == "N-01")).status = "reserved"
        db.session.flush()
        db.session.rollback()
    visitor.get("/en/land/N-01")
    assert len(cached) == 1


def test_change_by_another_process_shows_when_the_entry_expires(app, cached, visitor, monkeypatch):
    code = available_plot(app)
    url = f"/en/land/{code}"
    visitor.get(url)
    # Another process writes the database: nothing in this one hears of it.
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(update(Plot).where(Plot.code == code).values(status="reserved"))
    assert status_on_plot_page(visitor.get(url).get_data(as_text=True)) == "Available"
    later = page_cache.time.monotonic() + app.config["PAGE_CACHE_SECONDS"] + 1
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: later)
    assert status_on_plot_page(visitor.get(url).get_data(as_text=True)) == "Reserved"


# -- never kept ------------------------------------------------------------------------------


def test_inquiry_form_is_never_cached(app, cached, visitor):
    first = visitor.get("/en/inquiry?plot=N-01").get_data(as_text=True)
    second = visitor.get("/en/inquiry?plot=N-01").get_data(as_text=True)
    assert cached == ["site/inquiry.html", "site/inquiry.html"]
    token = re.compile(r'name="form_token"[^>]*value="([^"]+)"')
    assert token.search(first).group(1) != token.search(second).group(1)


def test_response_that_sets_a_cookie_is_never_cached(app, cached, visitor, monkeypatch):
    view = app.view_functions["site.policies"]

    def with_cookie(**kwargs):
        response = view(**kwargs)
        response.set_cookie("probe", "1")
        return response

    monkeypatch.setitem(app.view_functions, "site.policies", with_cookie)
    visitor.get("/en/policies")
    second = visitor.get("/en/policies")
    assert len(cached) == 2
    assert "probe=1" in second.headers.get("Set-Cookie", "")


def test_error_pages_and_redirects_are_never_cached(app, cached, visitor):
    for _ in range(2):
        assert visitor.get("/en/land/X-99").status_code == 404
        assert visitor.get("/en/land/n-01").status_code == 301
        assert visitor.get("/", headers={"Accept-Language": "de"}).location.endswith("/de/")
    assert visitor.get("/", headers={"Accept-Language": "fr"}).location.endswith("/fr/")
    assert cached.count("site/error.html") == 2


def test_requests_with_a_session_are_always_rendered(app, cached):
    client = app.test_client()
    client.get("/en/inquiry")  # the form's CSRF token starts a session
    client.get("/en/news")
    client.get("/en/news")
    assert cached.count("site/news.html") == 2


def test_posts_and_the_crm_are_never_cached(app, cached, visitor):
    for _ in range(2):
        assert visitor.post("/en/inquiry", data={}).status_code in {400, 422}
        assert visitor.get("/crm/").status_code == 302
    assert cached.count("site/inquiry.html") <= 2


def test_cache_can_be_turned_off(app, cached, visitor):
    app.config["PAGE_CACHE_SECONDS"] = 0
    visitor.get("/en/")
    visitor.get("/en/")
    assert cached == ["site/home.html", "site/home.html"]


def middleware(app) -> page_cache.PageCache:
    layer = app.wsgi_app
    while not isinstance(layer, page_cache.PageCache):
        layer = layer.app
    return layer


def test_while_one_request_refreshes_an_expired_page_the_others_get_the_old_copy(
    app, cached, visitor, monkeypatch
):
    code = available_plot(app)
    url = f"/en/land/{code}"
    visitor.get(url)
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(update(Plot).where(Plot.code == code).values(status="reserved"))
    later = page_cache.time.monotonic() + app.config["PAGE_CACHE_SECONDS"] + 1
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: later)
    layer = middleware(app)
    refreshing = {"claimed": False}
    claim = layer._claim

    def busy_elsewhere(key):
        # Another thread is already rendering this page again.
        refreshing["claimed"] = True
        return False

    monkeypatch.setattr(layer, "_claim", busy_elsewhere)
    assert status_on_plot_page(visitor.get(url).get_data(as_text=True)) == "Available"
    assert refreshing["claimed"] and len(cached) == 1
    monkeypatch.setattr(layer, "_claim", claim)
    assert status_on_plot_page(visitor.get(url).get_data(as_text=True)) == "Reserved"
    assert len(cached) == 2 and not layer.refreshing


def test_an_expired_page_that_is_gone_is_dropped_not_served(app, cached, visitor, monkeypatch):
    visitor.get("/en/land/N-01")
    # Another process deletes the plot: this one hears nothing of it.
    with app.app_context(), db.engine.begin() as connection:
        plot_id = select(Plot.id).where(Plot.code == "N-01").scalar_subquery()
        connection.execute(delete(PlotUtility).where(PlotUtility.plot_id == plot_id))
        connection.execute(delete(Plot).where(Plot.code == "N-01"))
    assert visitor.get("/en/land/N-01").status_code == 200  # still within its time
    later = page_cache.time.monotonic() + app.config["PAGE_CACHE_SECONDS"] + 1
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: later)
    assert visitor.get("/en/land/N-01").status_code == 404
    assert visitor.get("/en/land/N-01").status_code == 404  # the old copy is gone
