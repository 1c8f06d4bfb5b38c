"""Negotiation at /, the language cookie (set by the switcher), hreflang, canonical, sitemap."""

from datetime import date
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
    """Each public page: the (lang, absolute URL) of every language it exists in, and the date it
    last changed (content files, or the plots and events in the database)."""
    from sqlalchemy import func

    from core.extensions import db
    from core.models import Event, Plot

    content = get_content()
    all_langs = list(PUBLIC_LANGUAGES)
    plots = {code: changed.date() for code, changed in db.session.execute(
        db.select(Plot.code, Plot.updated_at).order_by(Plot.code))}  # fmt: skip
    plots_changed = max(plots.values(), default=content.updated)
    # The pages that show plots (counts, the list) change when a plot does.
    with_plots = max(content.updated, plots_changed)
    pages: list[tuple[str, dict, list[str], date]] = [
        ("site.home", {}, all_langs, with_plots),
        ("site.land", {}, all_langs, with_plots),
        ("site.policies", {}, all_langs, content.updated),
        ("site.estimator", {}, all_langs, content.updated),
        ("site.infrastructure", {}, all_langs, content.updated),
        ("site.news", {}, all_langs, content.updated),
        ("site.enterprises", {}, all_langs, content.updated),
        ("site.inquiry", {}, all_langs, content.updated),
        ("site.location", {}, all_langs, content.updated),
        ("site.privacy", {}, all_langs, content.updated),
    ]
    for slug in ("one-stop-service", "contact"):
        pages.append(
            ("site.page", {"slug": slug}, content.languages("pages", slug),
             content.updated_on("pages", slug))
        )  # fmt: skip
    for section, endpoint in (("policies", "site.policy"), ("news", "site.news_item")):
        for sec, slug in content.pages:
            if sec == section:
                pages.append(
                    (endpoint, {"slug": slug}, content.languages(section, slug),
                     content.updated_on(section, slug))
                )  # fmt: skip
    for code, changed in plots.items():
        pages.append(("site.plot", {"code": code}, all_langs, max(changed, content.updated)))
    # Event landing pages read the database (texts fall back to English), so all languages.
    published = (
        db.select(Event.slug, func.coalesce(Event.updated_at, Event.created_at))
        .where(Event.published.is_(True))
        .order_by(Event.slug)
    )
    for slug, changed in db.session.execute(published):
        pages.append(("site.event", {"slug": slug}, all_langs, changed.date()))
    return [
        (
            [(lang, absolute(url_for(endpoint, lang=lang, **args))) for lang in langs],
            changed.isoformat(),
        )
        for endpoint, args, langs, changed in pages
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
