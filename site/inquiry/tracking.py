"""Where an inquiry came from: our page the visitor was on, UTM parameters, a referral code.

They travel in hidden fields the visitor never sees: bad values are dropped, never shown as errors.
"""

import re
from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from core.i18n import LANGUAGES

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
REFERRAL_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]{1,200}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def own_path(value: str | None) -> str | None:
    """Keep a path only if it is one of this site's pages (never another host, never junk)."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or CONTROL.search(value):
        return None
    adapter = current_app.url_map.bind(request.host)
    try:
        _endpoint, args = adapter.match(value, method="GET")
    except RequestRedirect:
        return value
    except HTTPException:
        return None
    return value if args.get("lang", "zh") in LANGUAGES else None


def page_from_referrer() -> str | None:
    """The path of the page the visitor came from, if it is on this site."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    hosts = {request.host, urlsplit(current_app.config["PUBLIC_BASE_URL"]).netloc}
    if parts.netloc not in hosts:
        return None
    return own_path(parts.path)


def clean_utm(source) -> dict[str, str]:
    """The UTM parameters present in source (query string or form), as printable text."""
    utm = {}
    for key in UTM_KEYS:
        value = (source.get(key) or "").strip()
        if value and PRINTABLE.fullmatch(value):
            utm[key] = value
    return utm


def clean_referral_code(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if REFERRAL_CODE.fullmatch(value) else None
