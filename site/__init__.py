"""The public investor site under /<lang>/ (imported as public_site: `site` is a stdlib name)."""

from flask import Blueprint, abort, g

from core.errors import register_error_page
from core.i18n import PUBLIC_LANGUAGES

bp = Blueprint(
    "site",
    __name__,
    url_prefix="/<lang>",
    template_folder="templates",
)
# Routes outside any language: negotiation at /, sitemap.xml, robots.txt, and the static files.
root_bp = Blueprint("root", __name__, static_folder="static", static_url_path="/static/site")
# Every error page outside other blueprints' prefixes (the CRM's /crm) is the site's.
root_bp.record_once(lambda state: register_error_page(state.app, "/", "site/error.html"))


@bp.url_value_preprocessor
def pull_lang(endpoint, values):
    lang = values.pop("lang", None) if values else None
    if lang not in PUBLIC_LANGUAGES:
        abort(404)
    g.lang = lang


@bp.url_defaults
def add_lang(endpoint, values):
    if "lang" not in values and g.get("lang"):
        values["lang"] = g.lang


from public_site import (  # noqa: E402,F401  (registers the views)
    documents,
    estimator,
    events,
    inquiry,
    land,
    media,
    page_cache,
    pages,
    portal,
    project_status,
    seo,
    sharing,
)
