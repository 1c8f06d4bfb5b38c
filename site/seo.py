"""Negotiation at /, the language cookie (set by the switcher), hreflang, canonical, sitemap."""

from urllib.parse import urlencode

from flask import (
    current_app,
    g,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from core.content import get_content
from core.i18n import LANG_COOKIE, LANGUAGES, PUBLIC_LANGUAGES, negotiate_language
from core.urls import absolute
from public_site import bp, root_bp
from public_site.rendering import cache_publicly

# A switcher link's mark: the visitor chose this language, so / sends them back to it next time.
CHOOSE = "set_lang"


def set_page_languages(languages: list[str]) -> None:
    """Declare which languages this page exists in (content pages may lack some)."""
    g.page_languages = languages


@bp.app_context_processor
def alternates_context():
    """hreflang alternates, canonical and language-switcher links for the current page."""
    # Emails are rendered from CLI jobs, outside any request.
    if (
        not has_request_context()
        or request.blueprint != "site"
        or not request.endpoint
        or g.get("lang") is None
    ):
        return {}
    args = dict(request.view_args or {})
    languages = g.get("page_languages") or list(PUBLIC_LANGUAGES)
    alternates = [
        (LANGUAGES[lang]["tag"], absolute(url_for(request.endpoint, lang=lang, **args)))
        for lang in languages
    ]
    # The switcher keeps filters and the like, but not the fallback marker of this language; its
    # links say the visitor chose (see choose_language).
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("from", CHOOSE)]
    query = urlencode([*kept, (CHOOSE, "1")])
    switcher = [
        (lang, info, f"{url_for(request.endpoint, lang=lang, **args)}?{query}")
        for lang, info in LANGUAGES.items()
    ]
    return {
        "alternates": alternates,
        # For readers of none of our languages: this page in English, as negotiation gives them.
        "x_default": absolute(url_for(request.endpoint, lang="en", **args))
        if "en" in languages
        else absolute("/"),
        "canonical": absolute(url_for(request.endpoint, lang=g.lang, **args)),
        "switcher": switcher,
    }


@root_bp.route("/")
def root():
    lang = negotiate_language()
    response = redirect(url_for("site.home", lang=lang), code=302)
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@root_bp.route("/robots.txt")
def robots():
    body = f"User-agent: *\nDisallow: /crm/\nSitemap: {absolute('/sitemap.xml')}\n"
    return cache_publicly(current_app.response_class(body, mimetype="text/plain"))


def sitemap_entries():
    """Each public page as a list of (lang, absolute URL) for the languages it exists in."""
    from core.extensions import db
    from core.models import Event, Plot

    content = get_content()
    all_langs = list(PUBLIC_LANGUAGES)
    pages: list[tuple[str, dict, list[str]]] = [
        ("site.home", {}, all_langs),
        ("site.land", {}, all_langs),
        ("site.policies", {}, all_langs),
        ("site.estimator", {}, all_langs),
        ("site.infrastructure", {}, all_langs),
        ("site.news", {}, all_langs),
        ("site.enterprises", {}, all_langs),
        ("site.inquiry", {}, all_langs),
        ("site.location", {}, all_langs),
        ("site.privacy", {}, all_langs),
    ]
    for slug in ("one-stop-service", "contact"):
        pages.append(("site.page", {"slug": slug}, content.languages("pages", slug)))
    for section, endpoint in (("policies", "site.policy"), ("news", "site.news_item")):
        for sec, slug in content.pages:
            if sec == section:
                pages.append((endpoint, {"slug": slug}, content.languages(section, slug)))
    for code in db.session.scalars(db.select(Plot.code).order_by(Plot.code)):
        pages.append(("site.plot", {"code": code}, all_langs))
    # Event landing pages read the database (texts fall back to English), so all languages.
    published = db.select(Event.slug).where(Event.published.is_(True)).order_by(Event.slug)
    for slug in db.session.scalars(published):
        pages.append(("site.event", {"slug": slug}, all_langs))
    return [
        [(lang, absolute(url_for(endpoint, lang=lang, **args))) for lang in langs]
        for endpoint, args, langs in pages
        if langs
    ]


@root_bp.route("/sitemap.xml")
def sitemap():
    body = render_template(
        "site/sitemap.xml",
        entries=sitemap_entries(),
        tags={k: v["tag"] for k, v in LANGUAGES.items()},
    )
    response = make_response(body)
    response.mimetype = "application/xml"
    return cache_publicly(response)


@bp.before_request
def choose_language():
    """A switcher link: remember the language for /, then show the page at its own address.

    Only this answer sets the cookie, so every page stays the same for every visitor (and
    cacheable); browsing a language without choosing it is no choice."""
    if CHOOSE not in request.args:
        return None
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != CHOOSE]
    target = request.script_root + request.path + (f"?{urlencode(kept)}" if kept else "")
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "private, no-store"
    response.set_cookie(
        LANG_COOKIE,
        g.lang,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["PRODUCTION"],
    )
    return response
