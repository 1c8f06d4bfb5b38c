"""Logs: JSON lines or text, a request id on every line and response, one access line per request,
and the security events (logger qingyuan.security) with ids, never emails, names or texts."""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from werkzeug.wsgi import ClosingIterator

from core import metrics

SECURITY = logging.getLogger("qingyuan.security")
ACCESS = logging.getLogger("qingyuan.access")
REQUEST_ID = "qingyuan.request_id"
ENDPOINT, USER = "qingyuan.endpoint", "qingyuan.user"
# nginx's $request_id is 32 hex digits; anything else a client sends is replaced, not logged.
SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Probes and scrapes every few seconds would be most of the log: at DEBUG unless they fail.
QUIET = frozenset({"health.healthz", "health.readyz", "metrics.metrics"})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Fields a line may carry besides its message, in the order a JSON line lists them.
FIELDS = ("request_id", "user", "endpoint", "method", "status", "duration_ms", "event", "ip")


class RequestContext(logging.Filter):
    """Adds the request's id, user, endpoint and method to lines written during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            environ = request.environ
            record.__dict__.setdefault("request_id", environ.get(REQUEST_ID))
            record.__dict__.setdefault("user", g.get("actor"))
            record.__dict__.setdefault("endpoint", request.endpoint)
            record.__dict__.setdefault("method", request.method)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Twenty lines of our own rather than python-json-logger: the fields
    are few and fixed, and the standard library's json writes them."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(rid)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.rid = (record.__dict__.get("request_id") or "-")[:8]
        return super().format(record)


def make_handler(log_format: str, stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestContext())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.qingyuan = True  # ours: replaced, not doubled, when another app is made
    return handler


def warn_config(message: str) -> None:
    logging.getLogger("core.checks").warning("configuration: %s", message)


def security_event(event: str, **ids) -> None:
    """A sign-in, sign-out, reset or refusal: ids and the client address only. The address is
    kept because investigating an incident needs it (Cybersecurity Law Art. 21, MLPS 2.0: who
    signed in, from where, kept for six months)."""
    ip = request.remote_addr if has_request_context() else None
    words = [event, *(f"{name}={value}" for name, value in ids.items()), f"ip={ip}"]
    SECURITY.info(" ".join(words), extra={"event": event, "ip": ip})


class RequestLog:
    """WSGI middleware outside everything (page cache included): the request id, the access line
    and the request metrics, for every answer the app gives."""

    def __init__(self, app):
        self.app = app  # named as ProxyFix names it, so layers can be walked alike

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        sent = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = sent if SANE_ID.match(sent) else uuid.uuid4().hex
        environ[REQUEST_ID] = request_id
        answer = {}

        def start(status, headers, exc_info=None):
            answer["status"] = int(status.split(" ", 1)[0])
            headers.append(("X-Request-ID", request_id))
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, start)
        except Exception:
            environ.setdefault(ENDPOINT, "none")
            self._done(environ, 500, started)
            raise
        return ClosingIterator(
            body, lambda: self._done(environ, answer.get("status", 500), started)
        )

    @staticmethod
    def _done(environ, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        # A page answered from the page cache never reached Flask, which notes every endpoint
        # ("none" when no route matched).
        endpoint = environ.get(ENDPOINT, "page_cache")
        method = environ.get("REQUEST_METHOD", "")
        if method not in METHODS:
            method = "other"  # a client's invented method must not become a new series
        metrics.observe_request(endpoint, method, status, seconds)
        level = logging.DEBUG if endpoint in QUIET and status < 400 else logging.INFO
        if not ACCESS.isEnabledFor(level):
            return
        ms = round(seconds * 1000, 1)
        ACCESS.log(
            level,
            f"{method} {endpoint} {status} {ms}ms",
            extra={
                "request_id": environ.get(REQUEST_ID),
                "user": environ.get(USER),
                "endpoint": endpoint,
                "method": method,
                "status": status,
                "duration_ms": ms,
            },
        )


def init_app(app: Flask) -> None:
    """The handler on the root logger (not under tests: pytest captures), and the hook that tells
    the access line which endpoint and user a request had."""
    if not app.testing:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "qingyuan", False)]:
            root.removeHandler(handler)
        root.addHandler(make_handler(app.config["LOG_FORMAT"]))
        root.setLevel(app.config["LOG_LEVEL"])

    @app.after_request
    def _note_endpoint_and_user(response):
        request.environ[ENDPOINT] = request.endpoint or "none"
        request.environ[USER] = g.get("actor")
        return response


def wrap(app: Flask) -> None:
    """Last in create_app, so the middleware is outside the page cache and ProxyFix."""
    app.wsgi_app = RequestLog(app.wsgi_app)


def init_sentry(app: Flask) -> None:
    """Error reports to Sentry when SENTRY_DSN is set; sentry-sdk is an optional package (the
    configuration check refuses a DSN without it). No personal data: no cookies, users or bodies."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration()],
        send_default_pii=False,
        environment=app.config["APP_ENV"],
        traces_sample_rate=0,
        before_send=scrub_event,
    )


def scrub_event(event: dict, _hint) -> dict:
    """Of the request, only its method and id: URLs carry sign-in tokens and searched names, and
    forms carry people's details, which send_default_pii=False alone does not keep back."""
    sent = event.get("request")
    if sent is not None:
        event["request"] = {"method": sent.get("method")}
    if has_request_context():
        event.setdefault("tags", {})["request_id"] = request.environ.get(REQUEST_ID)
    return event
