"""Public pages rendered with ETags (a 304 when unchanged) and marked cacheable by any cache."""

import hashlib

from babel import Locale
from babel.lists import format_list
from flask import current_app, make_response, render_template, request
from flask_babel import force_locale, gettext, ngettext

from core.content import get_content
from core.i18n import LANGUAGES, current_language
from core.incentive_words import percent, policy_status
from core.incentives import current_policy
from core.projects import park_today
from core.settings import promised_working_days
from public_site import bp
from public_site.page_cache import mark_cacheable


def render_page(template: str, **context):
    """A public page that is the same for every visitor of its URL (so it may be cached)."""
    html = render_template(template, **context)
    mark_cacheable()
    response = make_response(html)
    response.set_etag(hashlib.sha256(html.encode()).hexdigest()[:32])
    return cache_publicly(response)


def cache_publicly(response):
    """Mark an answer that is the same for every visitor as cacheable by browsers and proxies.

    No cookie is set and no Vary: Cookie sent (core.security's session interface turns the answer
    private should anything write the session after all). A request that brings a session cookie
    is answered privately: Flask may refresh that cookie on the answer, and nginx bypasses its
    cache for such requests anyway."""
    config = current_app.config
    if config["SESSION_COOKIE_NAME"] in request.cookies:
        response.headers["Cache-Control"] = "private, no-cache"
    else:
        response.headers["Cache-Control"] = (
            f"public, max-age={config['PUBLIC_MAX_AGE']}, s-maxage={config['PUBLIC_S_MAXAGE']}, "
            f"stale-while-revalidate={config['PUBLIC_STALE_SECONDS']}"
        )
    if not response.get_etag()[0]:
        response.add_etag()
    return response.make_conditional(request)


def fallback_notice(missing_lang: str) -> str:
    """Say, in the language the visitor asked for, that this page is shown in another one, named
    in theirs ("auf Englisch", "en anglais", "以英语显示")."""
    shown = Locale.parse(current_language()).get_display_name(missing_lang)
    if missing_lang == "fr":  # French writes a language's name in lower case inside a sentence
        shown = shown.lower()
    with force_locale(missing_lang):
        return gettext(
            "This page is not available in your language yet. It is shown in %(language)s.",
            language=shown,
        )


def reply_languages(lang: str) -> str:
    """The languages the bureau answers in: those its desks speak (content/data/places.yaml),
    in the site's order, named in the reader's."""
    spoken = {code for desk in get_content()["places"]["desks"] for code in desk["languages"]}
    codes = [code for code in LANGUAGES if code in spoken]
    names = [Locale.parse(code).get_display_name(lang) for code in codes]
    if lang == "fr":  # French writes a language's name in lower case inside a sentence
        names = [name.lower() for name in names]
    return format_list(names, style="or", locale=lang)


def promises(text: str) -> str:
    """Content text with the bureau's promises filled in from their one source: the response
    time from the CRM's setting (which also sets the first-response clock), the languages from
    the site's data. Markdown leaves {reply_within} and {reply_languages} as they are."""
    if "{reply_" not in text:
        return text
    lang = current_language()
    days = promised_working_days()
    within = ngettext("within %(num)d working day", "within %(num)d working days", days)
    return text.replace("{reply_within}", within).replace(
        "{reply_languages}", reply_languages(lang)
    )


bp.add_app_template_filter(promises, "promises")


@bp.app_context_processor
def site_context():
    return {
        "content": get_content(),
        "fallback_notice": fallback_notice,
        "promised_working_days": promised_working_days,
        "policy_status": policy_status,
        "percent": percent,
        "current_policy": lambda: current_policy(park_today()),
    }
