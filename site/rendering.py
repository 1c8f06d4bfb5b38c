"""Rendering public pages with ETags, so unchanged pages cost a 304."""

import hashlib

from flask import make_response, render_template, request
from flask_babel import force_locale, gettext

from core.content import get_content
from core.i18n import LANGUAGES, current_language
from core.settings import promised_working_days
from public_site import bp
from public_site.page_cache import mark_cacheable


def render_page(template: str, **context):
    """A public page that is the same for every visitor of its URL (so it may be cached)."""
    html = render_template(template, **context)
    mark_cacheable()
    response = make_response(html)
    response.set_etag(hashlib.sha256(html.encode()).hexdigest()[:32])
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    return response.make_conditional(request)


def fallback_notice(missing_lang: str) -> str:
    """Say, in the language the visitor asked for, that this page is shown in another one."""
    shown = LANGUAGES[current_language()]["name"]
    with force_locale(missing_lang):
        return gettext(
            "This page is not available in your language yet. It is shown in %(language)s.",
            language=shown,
        )


@bp.app_context_processor
def site_context():
    return {
        "content": get_content(),
        "fallback_notice": fallback_notice,
        "promised_working_days": promised_working_days,
    }
