"""Rendered public pages kept per process, keyed by URL and the versions of what they show."""

import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain
from zoneinfo import ZoneInfo

from flask import g, request
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.http import parse_cookie
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from core.metrics import PAGE_CACHE
from core.models import Enterprise, Plot, PlotUtility, Setting, enterprise_plot
from public_site import bp

# How long another process may go on serving a page after the data changed elsewhere: each
# process only hears of its own commits (see README, Production). 0 turns the cache off.
DEFAULT_SECONDS = 10.0
# At ~10-40 KB a page, 500 pages are at most ~20 MB per worker; endless filter query strings from
# bots then only push out the least-read entries.
MAX_PAGES = 500
# Database records the public pages show: the plots and their utilities, the enterprises, the
# settings (the reply time the pages promise).
DATA_MODELS = (Plot, PlotUtility, Enterprise, Setting)
DATA_TABLES = {m.__tablename__ for m in DATA_MODELS} | {enterprise_plot.name}


class LRU:
    """A bounded mapping that drops the least recently read entry; safe to share between threads."""

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

    def pop(self, key) -> None:
        with self._lock:
            self._items.pop(key, None)

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


# -- the data version -------------------------------------------------------------
# Bumped after every commit that wrote a plot, a utility or an enterprise, whichever code did it
# (the CRM, load-demo, a bulk UPDATE), so this process never serves a page from before the change.

_data_version = 0
_version_lock = threading.Lock()


def data_version() -> int:
    return _data_version


def _mark(session: Session) -> None:
    session.info["data_changed"] = True


@event.listens_for(Session, "after_flush")
def _after_flush(session, _flush_context):
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(o, DATA_MODELS) for o in changed):
        _mark(session)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state):
    # UPDATE/DELETE/INSERT statements bypass the unit of work, so after_flush never sees them.
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in DATA_TABLES:
            _mark(state.session)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    global _data_version
    if session.info.pop("data_changed", False):
        with _version_lock:
            _data_version += 1


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop("data_changed", None)


# -- serving and storing ---------------------------------------------------------------
# Hits are answered by a WSGI middleware before Flask builds a request: a cached page then costs
# a dictionary lookup, not the request context, session, rate limiter and response hooks (which
# were most of a hit's cost). Misses go through Flask; the page is stored on the way out with
# every header the hooks added, so a hit answers exactly what a render would.


@bp.record_once
def _set_up(state):
    app = state.app
    app.config.setdefault(
        "PAGE_CACHE_SECONDS", float(os.environ.get("PAGE_CACHE_SECONDS", DEFAULT_SECONDS))
    )
    app.extensions["page_cache"] = LRU(MAX_PAGES)
    # Inside ProxyFix, so the scheme and host in the key are the ones the visitor used.
    outer = app.wsgi_app
    if isinstance(outer, ProxyFix):
        outer.app = PageCache(app, outer.app)
    else:
        app.wsgi_app = PageCache(app, outer)


def mark_cacheable() -> None:
    """Called by render_page: this response is the same for every visitor of this URL."""
    g.page_cacheable = True


@bp.after_request
def _ask_to_store(response):
    if g.get("page_cacheable") and response.status_code == 200:
        request.environ[STORE] = True
    return response


STORE = "public_site.page_cache.store"


class PageCache:
    """WSGI middleware: answers GET and HEAD for pages stored by earlier renders."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
        # Keys being rendered again after expiry: one request per process refreshes a page
        # while the others keep getting the expired copy, so an expiry under load is one render,
        # not one per waiting connection (which measured as a third of the throughput).
        self.refreshing: set[tuple] = set()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        config = self.app.config
        seconds = config["PAGE_CACHE_SECONDS"]
        path = environ.get("PATH_INFO", "")
        if (
            not seconds
            or environ["REQUEST_METHOD"] not in ("GET", "HEAD")
            or path.startswith(("/crm", "/static"))
        ):
            return self.wsgi_app(environ, start_response)
        cookies = parse_cookie(environ) if environ.get("HTTP_COOKIE") else {}
        # A session (a signed-in staff member, a visitor who opened the inquiry form) could bring
        # per-visitor content such as flashed messages: such requests are always rendered.
        if config["SESSION_COOKIE_NAME"] in cookies:
            return self.wsgi_app(environ, start_response)
        key = self._key(environ)
        cache = self.app.extensions["page_cache"]
        page = cache.get(key)
        if page is None:
            return self._render_and_keep(environ, start_response, key, cache, seconds)
        if page.expires >= time.monotonic() or not self._claim(key):
            PAGE_CACHE.labels("hit").inc()
            response = Response(page.body, headers=page.headers)
            return response.make_conditional(environ)(environ, start_response)
        try:
            return self._render_and_keep(environ, start_response, key, cache, seconds)
        finally:
            with self.lock:
                self.refreshing.discard(key)

    def _claim(self, key) -> bool:
        with self.lock:
            if key in self.refreshing:
                return False
            self.refreshing.add(key)
            return True

    def _key(self, environ) -> tuple:
        return (
            # Scheme, host, language (in the path) and the whole query string, as sent.
            environ["wsgi.url_scheme"],
            environ.get("HTTP_HOST"),
            environ.get("SCRIPT_NAME"),
            environ.get("PATH_INFO"),
            environ.get("QUERY_STRING"),
            self.app.config["PUBLIC_BASE_URL"],
            self.app.extensions["content"].version,
            _data_version,
            # Home lists events by the server's date; land readiness counts from the park's date.
            date.today(),
            datetime.now(self.zone).date(),
        )

    def _render_and_keep(self, environ, start_response, key, cache, seconds):
        answer = {}

        def remember(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, remember)
        if not environ.get(STORE) or environ["REQUEST_METHOD"] != "GET":
            # No longer a page to keep (gone, an error, a redirect): drop any expired copy.
            cache.pop(key)
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        # A miss is a page that could have come from the cache (not a probe, a form, an error).
        PAGE_CACHE.labels("miss").inc()
        headers = answer.get("headers", [])
        if answer.get("status", "").startswith("200") and _keepable(headers):
            # Date is the time of each answer, set afresh when a hit is sent.
            kept = [(k, v) for k, v in headers if k.lower() != "date"]
            cache.put(key, Page(data, kept, time.monotonic() + seconds))
        else:
            cache.pop(key)
        return [data]


def _keepable(headers) -> bool:
    """A kept page sets no cookie; no-store and private are never kept."""
    for name, value in headers:
        lowered = name.lower()
        if lowered == "set-cookie":
            return False
        if lowered == "cache-control" and ("no-store" in value or "private" in value):
            return False
    return True
