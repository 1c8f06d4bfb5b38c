"""Content pages: home, policies, news and events, infrastructure, enterprises, service, privacy."""

from datetime import date

from flask import abort, g, redirect, request, url_for
from sqlalchemy import func, select

from core import approvals
from core.content import get_content
from core.extensions import db
from core.i18n import LANGUAGES, translated
from core.models import Enterprise, Plot
from public_site import bp, places
from public_site.events import published_slugs
from public_site.rendering import render_page
from public_site.seo import set_page_languages

# Stand-alone Markdown pages reachable at /<lang>/<slug>.
STANDALONE = ("one-stop-service", "contact")


def _content_page(section: str, slug: str, endpoint: str, template: str, **extra):
    """Show a content page, or redirect to its fallback language with a notice."""
    content = get_content()
    page, fallback = content.resolve(section, slug, g.lang)
    if page is None:
        if fallback is None:
            abort(404)
        return redirect(url_for(endpoint, lang=fallback, slug=slug, **{"from": g.lang}))
    set_page_languages(content.languages(section, slug))
    missing = request.args.get("from")
    notice_lang = missing if missing in LANGUAGES and missing != g.lang else None
    if notice_lang and content.page(section, slug, notice_lang):
        notice_lang = None
    return render_page(template, page=page, fallback_from=notice_lang, **extra)


@bp.route("/")
def home():
    content = get_content()
    counts = dict(db.session.execute(select(Plot.status, func.count()).group_by(Plot.status)).all())
    today = date.today()
    events = [e for e in content["events"]["events"] if e["end"] >= today]
    return render_page(
        "site/home.html",
        intro=content.page("pages", "home", g.lang),
        news=content.section("news", g.lang)[:3],
        events=sorted(events, key=lambda e: e["start"])[:2],
        event_pages=published_slugs(),
        plots_available=counts.get("available", 0),
        plots_total=sum(counts.values()),
    )


@bp.route("/<any(" + ", ".join(f'"{s}"' for s in STANDALONE) + "):slug>")
def page(slug: str):
    extra = {}
    if slug == "contact":
        extra["desks"] = places.desks()
    elif slug == "one-stop-service":
        extra["approval_steps"] = approval_timeline()
    return _content_page("pages", slug, "site.page", "site/page.html", **extra)


def approval_timeline() -> list[dict]:
    """The county's approval steps and time limits: the same list the CRM adds to each file."""
    steps = get_content()["approvals"]["steps"]
    return [
        {
            "name": translated(step["name"]),
            "department": approvals.department_name(step["department"]),
            "limit_days": step["limit_days"],
            "always": step.get("default", False),
        }
        for step in steps
    ]


@bp.route("/policies")
def policies():
    content = get_content()
    return render_page(
        "site/policies.html",
        intro=None,
        policies=content.section("policies", g.lang),
    )


@bp.route("/policies/<slug>")
def policy(slug: str):
    return _content_page("policies", slug, "site.policy", "site/page.html", parent="policies")


@bp.route("/news")
def news():
    content = get_content()
    today = date.today()
    events = sorted(content["events"]["events"], key=lambda e: e["start"])
    return render_page(
        "site/news.html",
        items=content.section("news", g.lang),
        upcoming=[e for e in events if e["end"] >= today],
        past=[e for e in reversed(events) if e["end"] < today],
        event_pages=published_slugs(),
    )


@bp.route("/news/<slug>")
def news_item(slug: str):
    return _content_page("news", slug, "site.news_item", "site/page.html", parent="news")


@bp.route("/infrastructure")
def infrastructure():
    content = get_content()
    return render_page(
        "site/infrastructure.html",
        intro=content.page("pages", "infrastructure", g.lang),
        items=sorted(content["infrastructure"]["items"], key=lambda i: i["target_date"]),
    )


@bp.route("/enterprises")
def enterprises():
    content = get_content()
    firms = db.session.scalars(
        select(Enterprise)
        .where(Enterprise.listed.is_(True))
        .order_by(Enterprise.year_entered, Enterprise.slug)
    ).all()
    industries = {i["code"]: i for i in content.site["industries"]}
    return render_page(
        "site/enterprises.html",
        intro=content.page("pages", "enterprises", g.lang),
        firms=firms,
        industries=industries,
    )


@bp.route("/privacy")
def privacy():
    notice = get_content().privacy_notice(g.lang)
    if notice is None:
        abort(404)
    return render_page("site/page.html", page=notice, fallback_from=None)
