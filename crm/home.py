"""The CRM's start page: the newest inquiries, and the staff language choice."""

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.i18n import STAFF_LANGUAGES
from core.models import Inquiry, Lead
from crm import STAFF_LANG_COOKIE, bp
from crm.permissions import require


@bp.route("/")
@require("crm.use")
def home():
    leads = db.session.scalars(
        select(Lead)
        .options(
            selectinload(Lead.contacts),
            selectinload(Lead.inquiries).selectinload(Inquiry.plot),
        )
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(50)
    ).all()
    return render_template("crm/home.html", leads=leads)


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the staff UI between Chinese and English; remembered on the account."""
    lang = request.form.get("lang")
    if lang not in STAFF_LANGUAGES:
        lang = "zh"
    if current_user.is_authenticated:
        current_user.language = lang
        db.session.commit()
    target = request.form.get("next", "")
    if not target.startswith("/crm") or target.startswith("//"):
        target = url_for("crm.home")
    response = redirect(target)
    response.set_cookie(
        STAFF_LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="Lax", path="/crm"
    )
    return response
