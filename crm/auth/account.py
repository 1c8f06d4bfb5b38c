"""Your own account: language and time zone, password, second factor and recovery codes."""

import logging

import phonenumbers
import pytz
from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from core.audit import record
from core.extensions import db
from core.forms import Form
from core.i18n import LANGUAGES, STAFF_LANGUAGES
from core.passwords import MIN_LENGTH, hash_password, policy_problem, verify_password
from crm.auth import bp
from crm.auth.signin import TOTP_REQUIRED, stamp_session
from crm.auth.signin_throttle import blocked_minutes, count_failure, throttled_message
from crm.auth.twofactor import (
    accept_totp,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
    qr_svg,
    remaining_recovery_codes,
    remove,
)
from crm.permissions import require

log = logging.getLogger(__name__)
PENDING_SECRET = "_totp_pending"  # noqa: S105 - a session key name
PASSWORD_HINT = _l(
    "At least %(count)s characters. A few unrelated words make a good password; "
    "very common passwords are refused.",
    count=MIN_LENGTH,
)


class NewPasswordForm(Form):
    """A new password under the policy; the view passes the account's email to compare."""

    new_password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords are not the same.")),
        ],
    )

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = email

    def validate_new_password(self, field):
        problem = policy_problem(field.data or "", self.account_email)
        if problem:
            raise ValidationError(str(problem))


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=1000)]
    )


def international_phone(form, field) -> None:
    """A work phone as typed (Chinese numbers without +86), kept in international format."""
    try:
        number = phonenumbers.parse(field.data, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            gettext("Enter a valid phone number, with its country code if abroad.")
        )
    field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def staff_phone_field() -> StringField:
    return StringField(
        _l("Work phone"),
        validators=[Optional(), Length(max=40), international_phone],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


class ProfileForm(Form):
    phone = staff_phone_field()
    language = SelectField(
        _l("Language of the CRM"),
        choices=[SelectChoice(code, LANGUAGES[code]["name"]) for code in STAFF_LANGUAGES],
    )
    timezone = SelectField(
        _l("Time zone"), choices=[SelectChoice(tz, tz) for tz in pytz.common_timezones]
    )


class CodeActionForm(Form):
    code = StringField(
        _l("Current code from your authenticator app"),
        validators=[DataRequired(), Length(max=40)],
    )


def _render_account(status: int = 200, **forms):
    profile = forms.get("profile") or ProfileForm(
        language=current_user.language,
        timezone=current_user.timezone,
        phone=current_user.phone,
        formdata=None,
    )
    return render_template(
        "crm/account/index.html",
        profile=profile,
        disable_form=forms.get("disable") or CodeActionForm(prefix="disable", formdata=None),
        recovery_form=forms.get("recovery") or CodeActionForm(prefix="recovery", formdata=None),
        may_disable=current_user.role not in TOTP_REQUIRED,
        remaining=remaining_recovery_codes(current_user) if current_user.totp_secret else 0,
    ), status


@bp.route("/account", methods=["GET", "POST"])
@require("crm.use")
def account():
    if request.method == "GET":
        return _render_account()
    form = ProfileForm()
    if not form.validate_on_submit():
        return _render_account(profile=form)
    values = {"language": form.language.data, "timezone": form.timezone.data}
    values["phone"] = form.phone.data or None
    changes = {
        name: [getattr(current_user, name), value]
        for name, value in values.items()
        if getattr(current_user, name) != value
    }
    if changes:
        for name, (_old, new) in changes.items():
            setattr(current_user, name, new)
        record("update", current_user, changes)
        db.session.flush()
    flash(gettext("Your settings are saved."), "info")
    return redirect(url_for("crm.auth.account"))


def _code_refused(form: CodeActionForm) -> bool:
    """Check a current code (throttled per account); on failure the form carries the error."""
    minutes = blocked_minutes("code", str(current_user.id))
    if minutes:
        form.code.errors.append(throttled_message(minutes))
        return True
    if not accept_totp(current_user, form.code.data):
        db.session.rollback()
        count_failure("code", str(current_user.id))
        form.code.errors.append(gettext("This code is not valid. Try the current code."))
        return True
    return False


@bp.route("/account/password", methods=["GET", "POST"])
@require("crm.use")
def account_password():
    form = ChangePasswordForm(email=current_user.email)
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(gettext("This is not your current password."))
        else:
            current_user.password_hash = hash_password(form.new_password.data)
            # Every other session of this account (a copied cookie included) ends now.
            current_user.session_version += 1
            record("password_change", current_user)
            db.session.flush()
            login_user(current_user._get_current_object())  # the real user, not the proxy
            stamp_session(session)
            log.info("password changed user=%s", current_user.id)
            flash(gettext("Your password is changed. Other sessions are signed out."), "info")
            return redirect(url_for("crm.auth.account"))
    return render_template("crm/account/password.html", form=form, hint=PASSWORD_HINT)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@require("crm.use")
def account_totp():
    """Enrol an authenticator app: QR code and text secret, confirmed by a first code."""
    if current_user.totp_secret:
        flash(gettext("Two-step sign-in is already on."), "info")
        return redirect(url_for("crm.auth.account"))
    secret = session.get(PENDING_SECRET)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session[PENDING_SECRET] = new_secret()
    form = CodeActionForm()
    if form.validate_on_submit():
        if accept_totp(current_user, form.code.data, secret=secret):
            current_user.totp_secret = secret
            codes = new_recovery_codes(current_user)
            record("totp_enrol", current_user)
            db.session.flush()
            session.pop(PENDING_SECRET, None)
            log.info("second factor enrolled user=%s", current_user.id)
            return render_template("crm/account/recovery_codes.html", codes=codes)
        db.session.rollback()
        form.code.errors.append(gettext("This code is not valid. Try the current code."))
    uri = provisioning_uri(secret, current_user.email)
    return render_template(
        "crm/account/totp.html",
        form=form,
        qr=qr_svg(uri, gettext("QR code for your authenticator app")),
        secret_groups=[secret[i : i + 4] for i in range(0, len(secret), 4)],
        required=current_user.role in TOTP_REQUIRED,
    )


@bp.route("/account/two-factor/disable", methods=["POST"])
@require("crm.use")
def account_totp_disable():
    if current_user.role in TOTP_REQUIRED:
        flash(gettext("Your role needs two-step sign-in; it cannot be turned off."), "error")
        return redirect(url_for("crm.auth.account"))
    if not current_user.totp_secret:
        return redirect(url_for("crm.auth.account"))
    form = CodeActionForm(prefix="disable")
    if not form.validate_on_submit() or _code_refused(form):
        return _render_account(disable=form)
    remove(current_user)
    record("totp_disable", current_user)
    db.session.flush()
    log.info("second factor removed user=%s", current_user.id)
    flash(gettext("Two-step sign-in is off."), "info")
    return redirect(url_for("crm.auth.account"))


@bp.route("/account/recovery-codes", methods=["POST"])
@require("crm.use")
def account_recovery_codes():
    """New recovery codes (the old ones stop working), shown once."""
    if not current_user.totp_secret:
        return redirect(url_for("crm.auth.account"))
    form = CodeActionForm(prefix="recovery")
    if not form.validate_on_submit() or _code_refused(form):
        return _render_account(recovery=form)
    codes = new_recovery_codes(current_user)
    record("recovery_codes", current_user)
    db.session.flush()
    return render_template("crm/account/recovery_codes.html", codes=codes)
