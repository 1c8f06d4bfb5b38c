"""Signing in and out of the CRM: password check, session versioning, safe redirects."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from core.extensions import db, limiter, login_manager
from core.models import User
from core.models.base import utcnow
from core.passwords import hash_password, needs_rehash, verify_password
from crm import bp
from crm.permissions import require

login_manager.login_view = "crm.login"


@login_manager.user_loader
def load_user(user_id: str):
    """Sessions carry id:version; a bumped version (logout, deactivation) ends them all."""
    try:
        uid, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])


def safe_next(target: str | None) -> str:
    """Only our own CRM paths: no scheme, no host, no protocol-relative tricks."""
    if not target:
        return url_for("crm.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/crm") or "\\" in target:
        return url_for("crm.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("crm.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        # Always verify a hash, so the time taken does not tell whether the email is known.
        password_ok = verify_password(user.password_hash if user else None, form.password.data)
        if user is not None and user.active and password_ok:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user)
            current_app.logger.info("login ok user=%s", user.id)
            return redirect(safe_next(request.args.get("next")))
        current_app.logger.warning("login failed for an account (known=%s)", user is not None)
        form.form_errors.append(gettext("Email or password is not correct."))
    return render_template("crm/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@require("crm.use")
def logout():
    current_user.session_version += 1
    db.session.commit()
    logout_user()
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("crm.login"))
