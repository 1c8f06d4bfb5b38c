"""The bureau's CRM under /crm/: locked by default behind one gate, Chinese unless chosen."""

from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.i18n import STAFF_LANGUAGES
from crm.permissions import ROUTE_PERMISSIONS, allowed

bp = Blueprint("crm", __name__, url_prefix="/crm", template_folder="templates")

# The only endpoints reachable without signing in; everything else is denied by the gate.
PUBLIC_ENDPOINTS = {
    "crm.auth.login",
    "crm.auth.login_code",
    "crm.auth.password_forgot",
    "crm.auth.password_reset",
    "crm.home.set_language",
}
STAFF_LANG_COOKIE = "staff_lang"


# The sections in the CRM's navigation, shown to those who may open them.
NAV = (
    ("crm.dashboard.dashboard", _l("Dashboard")),
    ("crm.activities.my_day", _l("My day")),
    ("crm.leads.leads", _l("Leads")),
    ("crm.imports.import_new", _l("Import")),
    ("crm.pipeline.board", _l("Pipeline")),
    ("crm.projects.projects", _l("Projects")),
    ("crm.events.events", _l("Events")),
    ("crm.referrals.referrals", _l("Referrals")),
    ("crm.enterprises.enterprises", _l("Enterprises")),
    ("crm.referrals.referral_leaderboard", _l("Leaderboard")),
    ("crm.pipeline.follow_up", _l("Follow-up")),
    ("crm.admin.admin_users", _l("Administration")),
    ("crm.auth.account", _l("My account")),
)


@bp.app_context_processor
def navigation():
    def crm_nav():
        return [
            (endpoint, label)
            for endpoint, label in NAV
            if endpoint in current_app.view_functions
            and allowed(ROUTE_PERMISSIONS.get(endpoint, "admin.settings"))
        ]

    return {"crm_nav": crm_nav}


def staff_language() -> str:
    if current_user.is_authenticated and current_user.language in STAFF_LANGUAGES:
        return current_user.language
    chosen = request.cookies.get(STAFF_LANG_COOKIE)
    return chosen if chosen in STAFF_LANGUAGES else "zh"


@bp.before_request
def gate():
    g.lang = staff_language()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("crm.auth.login", next=request.full_path.rstrip("?")))
    g.actor = f"user:{current_user.id}"
    g.timezone = current_user.timezone
    # Deny by default: a view without a declared permission is reachable by nobody.
    permission = ROUTE_PERMISSIONS.get(request.endpoint)
    if permission is None or not allowed(permission):
        abort(403)
    return None


from crm import (  # noqa: E402,F401  (registers the views)
    account,
    activities,
    admin,
    auth,
    capture,
    dashboard,
    enterprises,
    events,
    home,
    imports,
    leads,
    password_reset,
    pipeline,
    privacy,
    projects,
    referrals,
)
