"""The bureau's CRM under /crm/: one blueprint per area behind one gate, Chinese unless chosen."""

from datetime import datetime

from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import notifications
from core.code_names import code_name
from core.errors import register_error_page
from core.i18n import STAFF_LANGUAGES
from core.logs import security_event
from core.workdays import CHINA, unconfirmed_next_year
from crm.permissions import allowed, declared_permission, is_public

STAFF_LANG_COOKIE = "staff_lang"

# The sections in the CRM's navigation, shown to those who may open them.
NAV = (
    ("crm.dashboard.dashboard", _l("Dashboard")),
    ("crm.activities.my_day", _l("My day")),
    ("crm.appointments.week", _l("My week")),
    ("crm.leads.leads", _l("Leads")),
    ("crm.imports.import_new", _l("Import")),
    ("crm.pipeline.board", _l("Pipeline")),
    ("crm.projects.projects", _l("Projects")),
    ("crm.events.events", _l("Events")),
    ("crm.referrals.referrals", _l("Referrals")),
    ("crm.enterprises.enterprises", _l("Enterprises")),
    ("crm.referrals.referral_leaderboard", _l("Leaderboard")),
    ("crm.pipeline.follow_up", _l("Follow-up")),
    ("crm.inbox.inbox", _l("Mail triage")),
    ("crm.admin.admin_users", _l("Administration")),
    ("crm.auth.account", _l("My account")),
)


def create_blueprint() -> Blueprint:
    """The CRM: its gate, shared layout and assets, and every area registered under it."""
    from crm import (
        activities,
        admin,
        appointments,
        auth,
        capture,
        dashboard,
        enterprises,
        events,
        home,
        imports,
        inbox,
        jobs,
        leads,
        notices,
        pipeline,
        privacy,
        projects,
        referrals,
    )

    bp = Blueprint(
        "crm", __name__, url_prefix="/crm", template_folder="templates", static_folder="static"
    )
    bp.before_request(gate)
    bp.record_once(lambda state: register_error_page(state.app, "/crm", "crm/error.html"))
    bp.app_context_processor(navigation)
    # A lead's code name in the reader's language: {{ lead|code_name }}.
    bp.add_app_template_filter(code_name, "code_name")
    for area in (
        auth,
        home,
        dashboard,
        activities,
        appointments,
        leads,
        inbox,
        imports,
        pipeline,
        projects,
        events,
        capture,
        referrals,
        enterprises,
        admin,
        jobs,
        privacy,
        notices,
    ):
        bp.register_blueprint(area.bp)
    return bp


def navigation():
    def crm_nav():
        views = current_app.view_functions
        return [
            (endpoint, label)
            for endpoint, label in NAV
            if endpoint in views
            and (permission := declared_permission(views[endpoint])) is not None
            and allowed(permission)
        ]

    def staff_warnings() -> list[str]:
        """What admins must act on, on every page until done."""
        if not current_user.is_authenticated or current_user.role != "admin":
            return []
        year = unconfirmed_next_year(datetime.now(CHINA).date())
        if year is None:
            return []
        return [
            gettext(
                "The official holiday schedule for %(year)s is not confirmed: deadlines in "
                "%(year)s count the statutory public holidays but no make-up working days. "
                "Once the State Council publishes it, add it to content/data/holidays.yaml.",
                year=year,
            )
        ]

    def who() -> str:
        """The signed-in person as the header says it: name, role and team in the reader's words."""
        from crm.admin.users import ROLE_LABELS

        parts = [str(ROLE_LABELS.get(current_user.role, current_user.role))]
        if current_user.team is not None:
            parts.append(current_user.team.label)
        return " · ".join(parts)

    def unread_notifications() -> int:
        """The bell's count: one indexed count per page for the signed-in person."""
        if not current_user.is_authenticated:
            return 0
        return notifications.unread_count(current_user)

    return {
        "crm_nav": crm_nav,
        "staff_warnings": staff_warnings,
        "unread_notifications": unread_notifications,
        "crm_who": who,
    }


def staff_language() -> str:
    if current_user.is_authenticated and current_user.language in STAFF_LANGUAGES:
        return current_user.language
    chosen = request.cookies.get(STAFF_LANG_COOKIE)
    return chosen if chosen in STAFF_LANGUAGES else "zh"


def gate():
    """Before every CRM view (the areas' blueprints are nested in this one)."""
    g.lang = staff_language()
    view = current_app.view_functions[request.endpoint]
    if is_public(view):
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("crm.auth.login", next=request.full_path.rstrip("?")))
    g.actor = f"user:{current_user.id}"
    g.timezone = current_user.timezone
    # Deny by default: a view without a declared permission is reachable by nobody.
    permission = declared_permission(view)
    if permission is None or not allowed(permission):
        security_event("permission_refused", user=current_user.id, endpoint=request.endpoint)
        abort(403)
    return None
