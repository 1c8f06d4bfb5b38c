"""Error pages in the visitor's language; never a bare traceback."""

import logging

from flask import current_app, g, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from core.extensions import db, login_manager
from core.i18n import LANGUAGES, negotiate_language

log = logging.getLogger(__name__)

# The database unreachable or refusing connections (down, restarting, out of connections).
DATABASE_DOWN = (OperationalError, InterfaceError)


def _language_for_path() -> str:
    first = request.path.strip("/").split("/", 1)[0]
    if first in LANGUAGES:
        return first
    if request.path.startswith("/crm"):
        return g.get("lang") or "zh"
    return negotiate_language()


def _messages(code: int) -> tuple[str, str]:
    return {
        400: (gettext("Bad request"), gettext("The request could not be understood.")),
        403: (gettext("Forbidden"), gettext("You do not have access to this page.")),
        404: (gettext("Page not found"), gettext("There is no page at this address.")),
        405: (gettext("Not allowed"), gettext("This page cannot be used this way.")),
        409: (
            gettext("Changed meanwhile"),
            gettext(
                "Someone else changed this record after you opened the page. Nothing was saved: "
                "reload the page, check and try again."
            ),
        ),
        413: (
            gettext("Too large"),
            gettext("What you sent is larger than we accept. Please send less."),
        ),
        429: (
            gettext("Too many requests"),
            gettext(
                "You have sent several forms in a short time. "
                "Please wait a few minutes and try again; nothing you typed was stored."
            ),
        ),
        503: (
            gettext("Briefly unavailable"),
            gettext(
                "We cannot answer just now because of a technical problem on our side. "
                "Please try again in a few minutes; if you were sending a form, nothing was stored."
            ),
        ),
    }.get(code, (gettext("Something went wrong"), gettext("Please try again in a moment.")))


def render_error(code: int, detail: str | None = None):
    g.lang = g.get("lang") or _language_for_path()
    title, message = _messages(code)
    if request.accept_mimetypes.best == "application/json":
        # Scripts (the booth capture queue) read the answer: keep it theirs to read.
        return jsonify(
            {"status": "error", "code": code, "title": title, "message": detail or message}
        ), code
    if request_ctx.url_adapter is None:
        # A Host outside TRUSTED_HOSTS: no address can be built for it, so no page with links.
        return f"{title}\n\n{detail or message}\n", code, {"Content-Type": "text/plain"}
    template = _error_template(request.path)
    if template is None:
        return f"{title}\n\n{detail or message}\n", code, {"Content-Type": "text/plain"}
    body = render_template(template, code=code, title=title, message=detail or message)
    return body, code


def register_error_page(app, path_prefix: str, template: str) -> None:
    """A blueprint's own error page for the paths under its prefix (the longest prefix wins)."""
    app.extensions.setdefault("error_pages", {})[path_prefix] = template


def _error_template(path: str) -> str | None:
    pages = current_app.extensions.get("error_pages", {})
    prefixes = [prefix for prefix in pages if path.startswith(prefix)]
    return pages[max(prefixes, key=len)] if prefixes else None


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(
            400,
            gettext(
                "This form has expired or was sent from elsewhere. "
                "Please reload the page and send it again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        return render_error(exc.code)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(exc: Exception):
        db.session.rollback()
        # The endpoint, not the path: paths carry sign-in and reset tokens.
        log.exception("database unreachable on %s", request.endpoint)
        # Who is signed in is read from the database too: show the page as to a visitor
        # (Flask-Login keeps the request's user in g._login_user).
        g._login_user = login_manager.anonymous_user()
        response = make_response(render_error(ServiceUnavailable.code))
        response.headers["Retry-After"] = "120"
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if app.testing:
            raise exc
        db.session.rollback()
        log.exception("unhandled error on %s", request.endpoint)
        return render_error(InternalServerError.code)
