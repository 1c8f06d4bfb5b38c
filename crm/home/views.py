"""The CRM's entry point (each role lands on its own work) and the staff language choice."""

from flask import redirect, request, url_for
from flask_login import current_user

from core.extensions import db
from core.i18n import STAFF_LANGUAGES
from crm import STAFF_LANG_COOKIE
from crm.home import bp
from crm.permissions import public, require

# Where each role's daily work starts.
START = {"officer": "crm.activities.my_day", "manager": "crm.pipeline.follow_up"}


@bp.route("/")
@require("crm.use")
def home():
    return redirect(url_for(START.get(current_user.role, "crm.leads.leads")))


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Switch the staff UI between Chinese and English; remembered on the account."""
    lang = request.form.get("lang")
    if lang not in STAFF_LANGUAGES:
        lang = "zh"
    if current_user.is_authenticated:
        current_user.language = lang
        db.session.flush()
    target = request.form.get("next", "")
    if not target.startswith("/crm") or target.startswith("//"):
        target = url_for("crm.home.home")
    response = redirect(target)
    response.set_cookie(
        STAFF_LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="Lax", path="/crm"
    )
    return response
