"""Security headers on every response, set in one place; public answers kept free of the session."""

from flask import request
from flask.sessions import SecureCookieSessionInterface

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except that an answer marked public stays cacheable.

    Flask adds Vary: Cookie to any answer after anything looked at the session, and Flask-Login
    looks on every answer, so no shared cache would keep a public page. A page marks itself public
    only when nothing in it comes from the session (public_site.rendering.cache_publicly, static
    files): the Vary goes. An answer that wrote the session after all (a CSRF token made on the
    way) is no longer the same for everyone: never kept. One that only carries a refreshed
    session cookie (a signed-in visitor's) stays the visitor's own: private."""

    def save_session(self, app, session, response):
        public = response.cache_control.public
        super().save_session(app, session, response)
        if not public:
            return
        if session.modified:
            response.headers["Cache-Control"] = "private, no-store"
        elif "Set-Cookie" in response.headers:
            shared = ("public", "s-maxage", "stale-while-revalidate")
            kept = [
                part.strip()
                for part in response.headers["Cache-Control"].split(",")
                if not part.strip().startswith(shared)
            ]
            response.headers["Cache-Control"] = ", ".join(["private", *kept])
        elif "Cookie" in response.vary:
            response.vary.discard("Cookie")


def init_app(app) -> None:
    app.session_interface = SessionInterface()

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if app.config["PRODUCTION"]:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        # CRM pages show personal data: never kept. Its static files are the same for everyone
        # and are cached like the site's.
        if request.path.startswith("/crm") and not _static_file():
            headers["Cache-Control"] = "no-store"
        return response


def _static_file() -> bool:
    rule = request.url_rule
    return rule is not None and rule.endpoint.rpartition(".")[2] == "static"
