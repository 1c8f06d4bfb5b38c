"""Rendered public pages kept per process, keyed by URL and the versions of what they show."""

import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain
from zoneinfo import ZoneInfo

from flask import current_app, g, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.content import get_content
from core.extensions import limiter
from core.models import Plot, PlotUtility
from public_site import bp

# How long another process may go on serving a page after the plots changed elsewhere: each
# process only hears of its own commits (see README, Production). 0 turns the cache off.
DEFAULT_SECONDS = 10.0
# At ~10-40 KB a page, 500 pages are at most ~20 MB per worker; endless filter query strings from
# bots then only push out the least-read entries.
MAX_PAGES = 500
PLOT_TABLES = {Plot.__tablename__, PlotUtility.__tablename__}


class LRU:
    """A bounded mapping that drops the least recently read entry; gthread workers share it."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class Page:
    body: bytes
    headers: list[tuple[str, str]]
    expires: float


# -- the plot-data version -------------------------------------------------------------
# Bumped after every commit that wrote a plot or a utility, whichever code did it (the CRM, the
# load-demo command, a bulk UPDATE), so this process never serves a page from before the change.

_plot_version = 0
_version_lock = threading.Lock()


def plot_version() -> int:
    return _plot_version


def _mark(session: Session) -> None:
    session.info["plots_changed"] = True


@event.listens_for(Session, "after_flush")
def _after_flush(session, _flush_context):
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(o, Plot | PlotUtility) for o in changed):
        _mark(session)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state):
    # UPDATE/DELETE/INSERT statements bypass the unit of work, so after_flush never sees them.
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in PLOT_TABLES:
            _mark(state.session)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    global _plot_version
    if session.info.pop("plots_changed", False):
        with _version_lock:
            _plot_version += 1


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop("plots_changed", None)


# -- serving and storing ---------------------------------------------------------------


@bp.record_once
def _set_up(state):
    app = state.app
    app.config.setdefault(
        "PAGE_CACHE_SECONDS", float(os.environ.get("PAGE_CACHE_SECONDS", DEFAULT_SECONDS))
    )
    app.extensions["page_cache"] = LRU(MAX_PAGES)
    # The park's zone, as flask_babel.get_timezone() gives it on public pages, without its cost.
    app.extensions["page_cache_zone"] = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])


def mark_cacheable() -> None:
    """Called by render_page: this response is the same for every visitor of this URL."""
    g.page_cacheable = True


def _key() -> tuple:
    environ = request.environ
    return (
        # Scheme, host, language (in the path) and the whole query string, as the server got them.
        environ["wsgi.url_scheme"],
        environ.get("HTTP_HOST"),
        environ.get("SCRIPT_NAME"),
        environ.get("PATH_INFO"),
        environ.get("QUERY_STRING"),
        current_app.config["PUBLIC_BASE_URL"],
        get_content().version,
        _plot_version,
        # Home lists events by the server's date; land readiness counts from the park's date.
        date.today(),
        datetime.now(current_app.extensions["page_cache_zone"]).date(),
    )


def _cached_page() -> Page | None:
    """This request's page from the cache, looked up once per request; None: render it."""
    if "page_cache_hit" in g:
        return g.page_cache_hit
    g.page_cache_hit = None
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    if not seconds or request.blueprint != "site" or request.method not in {"GET", "HEAD"}:
        return None
    # A session (a signed-in staff member, a visitor who opened the inquiry form) could one day
    # bring per-visitor content such as flashed messages: such requests are always rendered.
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return None
    key = _key()
    page = current_app.extensions["page_cache"].get(key)
    if page is None or page.expires < time.monotonic():
        g.page_cache_key = key
        return None
    g.page_cache_hit = page
    return page


@limiter.request_filter
def _hit_skips_rate_limits() -> bool:
    # Checking the limits cost as much as serving a cached page. Limits on public pages are on
    # POSTs (the inquiry form), and a POST never comes from the cache.
    return _cached_page() is not None


@bp.before_request
def serve_cached():
    page = _cached_page()
    if page is None:
        return None
    # The after_request hooks still run on this response: security headers, language cookie.
    response = current_app.response_class(page.body, headers=page.headers)
    return response.make_conditional(request)


@bp.after_request
def store(response):
    key = g.pop("page_cache_key", None)
    if key is None or not g.get("page_cacheable"):
        return response
    control = response.cache_control
    if (
        response.status_code != 200
        or "Set-Cookie" in response.headers
        or control.no_store
        or control.private
    ):
        return response
    # Date is the time of this answer, set afresh by make_conditional on every hit.
    headers = [(k, v) for k, v in response.headers.items() if k != "Date"]
    expires = time.monotonic() + current_app.config["PAGE_CACHE_SECONDS"]
    current_app.extensions["page_cache"].put(key, Page(response.get_data(), headers, expires))
    return response
