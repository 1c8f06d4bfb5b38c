"""Password reset by email link: one answer for every address, single-use short-lived tokens."""

import hashlib

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from core import outbox
from core.audit import record
from core.extensions import db, limiter
from core.forms import Form
from core.logs import security_event
from core.models import User
from core.passwords import hash_password
from core.urls import external_url
from crm.auth import bp
from crm.auth.account import PASSWORD_HINT, NewPasswordForm
from crm.auth.signin_throttle import blocked_minutes, count_failure, record_failure, refusal
from crm.auth.twofactor import accept_second_factor
from crm.permissions import public

SALT = "crm.password-reset"
TOKEN_MINUTES = 30


class ForgotForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class ResetForm(NewPasswordForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[Optional(), Length(max=40)],
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def _fingerprint(user: User) -> str:
    """Changes when the password or session version does: a used link stops working."""
    return hashlib.sha256(f"{user.password_hash}:{user.session_version}".encode()).hexdigest()[:20]


def make_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=TOKEN_MINUTES * 60)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        return None
    return user


def _queue_reset_email(user: User) -> None:
    link = external_url("crm.auth.password_reset", token=make_token(user))
    with force_locale(user.language):
        subject = gettext("Reset your CRM password")
        body = render_template(
            "crm/login_reset_email.txt", user=user, link=link, minutes=TOKEN_MINUTES
        )
    outbox.queue(
        kind="password_reset", to=user.email, language=user.language, subject=subject, body=body
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def password_forgot():
    form = ForgotForm()
    if not form.validate_on_submit():
        return render_template("crm/login_forgot.html", form=form)
    email = form.email.data.strip().lower()
    # Counted for every address, known or not, so the limit itself reveals nothing.
    if not blocked_minutes("reset", email):
        count_failure("reset", email)
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is not None and user.active:
            _queue_reset_email(user)
            db.session.flush()
            security_event("password_reset_asked", user=user.id)
        else:
            security_event("password_reset_asked", user=None)
    flash(
        ngettext(
            "If an account uses this address, we have sent it a link to choose a new password. "
            "The link works for %(num)s minute.",
            "If an account uses this address, we have sent it a link to choose a new password. "
            "The link works for %(num)s minutes.",
            TOKEN_MINUTES,
        ),
        "info",
    )
    return redirect(url_for("crm.auth.login"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def password_reset(token: str):
    user = user_for_token(token) if len(token) < 500 else None
    if user is None:
        return render_template("crm/login_reset_invalid.html"), 400
    form = ResetForm(email=user.email)
    if form.validate_on_submit() and not _second_factor_refused(user, form):
        user.password_hash = hash_password(form.new_password.data)
        user.session_version += 1  # ends every session and makes this link useless
        record("password_reset", user, actor=f"user:{user.id}")
        db.session.flush()
        security_event("password_reset_done", user=user.id)
        flash(gettext("Your password is changed. Sign in with your new password."), "info")
        return redirect(url_for("crm.auth.login"))
    return render_template(
        "crm/login_reset.html", form=form, needs_code=bool(user.totp_secret), hint=PASSWORD_HINT
    )


def _second_factor_refused(user: User, form: ResetForm) -> bool:
    """A reset link alone is not enough for an account with a second factor."""
    if not user.totp_secret:
        return False
    reason = refusal("code", str(user.id), user)
    if reason:
        form.code.errors.append(reason[0])
        return True
    if not form.code.data:
        form.code.errors.append(gettext("Enter the code from your authenticator app."))
        return True
    if not accept_second_factor(user, form.code.data):
        db.session.rollback()
        record_failure("code", str(user.id), user)
        form.code.errors.append(gettext("This code is not valid. Try the current code."))
        return True
    return False
