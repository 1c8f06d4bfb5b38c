"""Signing in and out of the CRM: password, second factor, throttling, session lifetimes."""

import time

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from core.extensions import db, limiter, login_manager
from core.forms import Form
from core.logs import security_event
from core.models import User
from core.models.base import utcnow
from core.passwords import hash_password, needs_rehash, verify_password
from core.urls import CRM_PATH, safe_next
from crm.auth import bp
from crm.auth.signin_throttle import known_device, record_failure, refusal, remember_device
from crm.auth.twofactor import accept_second_factor
from crm.permissions import public, require

login_manager.login_view = "crm.auth.login"

# Roles that must have a second factor before they may do anything else.
TOTP_REQUIRED = frozenset({"admin", "manager"})
# What a signed-in admin or manager without a second factor may still open.
ENROLMENT_ENDPOINTS = frozenset(
    {"crm.auth.account_totp", "crm.auth.logout", "crm.home.set_language"}
)
STARTED, SEEN, ENDED, PENDING = "_auth_at", "_seen_at", "_session_ended", "_pending_login"
PENDING_SECONDS = 300  # time allowed between the password and the code


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


def stamp_session(store) -> None:
    """Start the idle and absolute clocks of a freshly signed-in session."""
    now = int(time.time())
    store[STARTED] = store[SEEN] = now


@bp.before_app_request
def check_session_age():
    """End sessions idle too long or older than the maximum; runs before the CRM gate.

    No gettext here: the language is chosen by the gate, after this.
    """
    if "crm" not in request.blueprints or "_user_id" not in session:
        return None
    now = int(time.time())
    started, seen = session.get(STARTED), session.get(SEEN)
    config = current_app.config
    if (
        not isinstance(started, int)
        or not isinstance(seen, int)
        or now - seen > config["SESSION_IDLE_MINUTES"] * 60
        or now - started > config["SESSION_MAX_HOURS"] * 3600
    ):
        logout_user()
        session.pop(STARTED, None)
        session.pop(SEEN, None)
        session[ENDED] = True
        return None
    session[SEEN] = now
    if (
        current_user.is_authenticated
        and current_user.role in TOTP_REQUIRED
        and not current_user.totp_secret
        and request.endpoint not in ENROLMENT_ENDPOINTS
    ):
        return redirect(url_for("crm.auth.account_totp"))
    return None


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])


class CodeForm(Form):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=40)],
    )


def finish_login(user: User, next_url: str | None, method: str):
    """Sign the user in on a fresh session (no fixation), then go on."""
    session.clear()
    login_user(user)
    stamp_session(session)
    user.last_login_at = utcnow()
    db.session.flush()
    security_event(
        "signin", user=user.id, method=method, device="known" if known_device(user) else "new"
    )
    if user.role in TOTP_REQUIRED and not user.totp_secret:
        flash(gettext("Your role needs a second factor. Set it up before you continue."), "info")
        return remember_device(redirect(url_for("crm.auth.account_totp")), user)
    return remember_device(redirect(safe_next(next_url, CRM_PATH, url_for("crm.home.home"))), user)


def refused(template: str, form, reason: tuple[str, int]):
    """The form again with why and for how long (429, Retry-After): the worker never waits."""
    message, seconds = reason
    form.form_errors.append(message)
    return render_template(template, form=form), 429, {"Retry-After": str(seconds)}


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("crm.home.home"))
    if session.pop(ENDED, False):
        flash(gettext("Your session has ended. Please sign in again."), "info")
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("crm/login.html", form=form)
    email = form.email.data.strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    reason = refusal("password", email, user)
    if reason:
        return refused("crm/login.html", form, reason)
    # Always verify a hash, so the time taken does not tell whether the email is known.
    password_ok = verify_password(user.password_hash if user else None, form.password.data)
    if user is None or not user.active or not password_ok:
        record_failure("password", email, user)
        # The typed address is never logged: a known account by its id, else nothing.
        security_event("signin_failed", user=user.id if user else None)
        form.form_errors.append(gettext("Email or password is not correct."))
        return render_template("crm/login.html", form=form)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(form.password.data)
        db.session.flush()
    if user.totp_secret:
        session[PENDING] = {
            "uid": user.id,
            "ver": user.session_version,
            "at": int(time.time()),
            "next": request.args.get("next"),
        }
        return redirect(url_for("crm.auth.login_code"))
    return finish_login(user, request.args.get("next"), "password")


def pending_user() -> tuple[User | None, dict]:
    """The user who gave the right password moments ago and still owes a code."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int):
        return None, {}
    if time.time() - pending["at"] > PENDING_SECONDS:
        return None, {}
    user = db.session.get(User, pending.get("uid")) if isinstance(pending.get("uid"), int) else None
    if user is None or not user.active or user.session_version != pending.get("ver"):
        return None, {}
    return user, pending


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login_code():
    user, pending = pending_user()
    if user is None or not user.totp_secret:
        session.pop(PENDING, None)
        flash(gettext("Please sign in again."), "info")
        return redirect(url_for("crm.auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("crm/login_code.html", form=form)
    reason = refusal("code", str(user.id), user)
    if reason:
        return refused("crm/login_code.html", form, reason)
    if not accept_second_factor(user, form.code.data):
        db.session.rollback()
        record_failure("code", str(user.id), user)
        security_event("second_factor_failed", user=user.id)
        form.code.errors.append(gettext("This code is not valid. Try the current code."))
        return render_template("crm/login_code.html", form=form)
    return finish_login(user, pending.get("next"), "password+code")


@bp.route("/logout", methods=["POST"])
@require("crm.use")
def logout():
    current_user.session_version += 1
    db.session.flush()
    security_event("signout", user=current_user.id)
    logout_user()
    session.clear()
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("crm.auth.login"))
