"""Absolute addresses (mails, QR codes, calendars, sitemaps, exports): always from PUBLIC_BASE_URL;
and where a form may send the browser next (safe_next).

Never from the request's Host or X-Forwarded-Host: whoever sends a request chooses those, and a
reset link mailed to a host of the sender's choosing hands them the token.
"""

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


def absolute(path: str) -> str:
    return base_url() + path


def external_url(endpoint: str, **values) -> str:
    """An endpoint's absolute address, in a request or outside one (jobs, the CLI)."""
    if has_request_context():
        return absolute(url_for(endpoint, **values))
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(parts.netloc, url_scheme=parts.scheme)
    return absolute(adapter.build(endpoint, values))


def check_base_url(value: str, production: bool) -> str:
    """PUBLIC_BASE_URL as an origin (scheme and host, no path); https in production."""
    parts = urlsplit(value)
    schemes = {"https"} if production else {"http", "https"}
    if parts.scheme not in schemes or not parts.hostname or parts.path or parts.query:
        allowed = " or ".join(sorted(schemes))
        raise RuntimeError(
            f"PUBLIC_BASE_URL must be the site's origin ({allowed}://host, no path), got {value!r}"
        )
    return value


def staff_base_url() -> str:
    """Where staff links in mails point: CRM_BASE_URL when the CRM has a host of its own."""
    return current_app.config.get("CRM_BASE_URL") or base_url()


def staff_lead_url(lead_id: int) -> str:
    """A lead's page in the CRM, for mails to staff (core and the site cannot build CRM routes)."""
    return f"{staff_base_url()}{CRM_PATH}leads/{lead_id}"


NEXT_MAX = 2000  # longer than any address of ours, filters included
CRM_PATH = "/crm/"  # where every staff page lives (the crm blueprints' prefix)


def safe_next(target: str | None, prefix: str = "/", default: str | None = None) -> str | None:
    """target if it is a path of this site under prefix, else default: never another host.

    A path starts with one slash: two make a host ("//evil.example"), and so do a backslash and
    a tab or newline, which browsers read as a slash or drop. A scheme needs no slash before it.
    """
    if (
        not target
        or len(target) > NEXT_MAX
        or not target.startswith("/")
        or not target.startswith(prefix)
        or "//" in target
        or "\\" in target
        or any(ord(char) < 32 or ord(char) == 127 for char in target)
    ):
        return default
    return target
