"""Administration of staff accounts and teams: create, edit, deactivate, reset the second factor."""

import json
import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, ValidationError

from core.audit import record
from core.extensions import db
from core.forms import Form
from core.i18n import LANGUAGES, STAFF_LANGUAGES
from core.models import ROLES, Team, User
from core.passwords import hash_password
from crm.admin import bp
from crm.auth.account import PASSWORD_HINT, NewPasswordForm, staff_phone_field
from crm.auth.twofactor import remove
from crm.permissions import require

log = logging.getLogger(__name__)
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "manager": _l("Manager"),
    "officer": _l("Investment officer"),
    "leader": _l("County leader"),
}
# The fields an admin edits, in the order the form and the conflict message show them.
EDITABLE = ("name", "email", "phone", "role", "team_id", "active")


def _team_choices():
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    return [SelectChoice("", gettext("No team"))] + [
        SelectChoice(str(t.id), t.label) for t in teams
    ]


class UserFields:
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = staff_phone_field()
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])
    team_id = SelectField(_l("Team"), choices=[], validate_choice=True)

    def validate_email(self, field):
        email = field.data.strip().lower()
        taken = db.session.scalar(
            select(User.id).where(func.lower(User.email) == email, User.id != self.user_id)
        )
        if taken:
            raise ValidationError(gettext("Another account uses this email address."))


class UserForm(UserFields, Form):
    active = BooleanField(_l("Active (may sign in)"))
    loaded = HiddenField()

    def __init__(self, *args, user_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id = user_id
        self.team_id.choices = _team_choices()


class NewUserForm(UserFields, NewPasswordForm):
    language = SelectField(
        _l("Language of the CRM"),
        choices=[SelectChoice(code, LANGUAGES[code]["name"]) for code in STAFF_LANGUAGES],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id = None
        self.team_id.choices = _team_choices()
        self.account_email = (self.email.data or "").strip()


class TeamForm(Form):
    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=80)])
    name_en = StringField(_l("Name in English"), validators=[Length(max=80)])


def _values(user: User) -> dict:
    return {name: getattr(user, name) for name in EDITABLE}


def _get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/admin/users")
@require("admin.users")
def admin_users():
    users = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    return render_template(
        "crm/admin/users.html",
        users=users,
        teams=teams,
        team_form=TeamForm(formdata=None),
        role_labels=ROLE_LABELS,
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@require("admin.users")
def admin_user_new():
    form = NewUserForm()
    if form.validate_on_submit():
        user = User(
            name=form.name.data.strip(),
            email=form.email.data.strip().lower(),
            phone=form.phone.data or None,
            role=form.role.data,
            team_id=int(form.team_id.data) if form.team_id.data else None,
            language=form.language.data,
            password_hash=hash_password(form.new_password.data),
        )
        db.session.add(user)
        record("create", user, {k: [None, v] for k, v in _values(user).items() if k != "active"})
        db.session.flush()
        log.info("user %s created by user=%s", user.id, current_user.id)
        flash(gettext("The account of %(name)s is created.", name=user.name), "info")
        return redirect(url_for("crm.admin.admin_users"))
    return render_template("crm/admin/user_new.html", form=form, hint=PASSWORD_HINT)


def _conflicts(user: User, loaded_raw: str | None) -> list[tuple[str, object, object]] | None:
    """Fields someone else changed since the form was loaded; None when the form is unreadable."""
    try:
        loaded = json.loads(loaded_raw or "")
    except ValueError:
        return None
    if not isinstance(loaded, dict):
        return None
    now = _values(user)
    return [
        (name, loaded.get(name), now[name]) for name in EDITABLE if loaded.get(name) != now[name]
    ]


@bp.route("/admin/users/<id:user_id>", methods=["GET", "POST"])
@require("admin.users")
def admin_user(user_id: int):
    user = _get_user(user_id)
    form = UserForm(user_id=user.id, obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.team_id.data = str(user.team_id or "")
        form.loaded.data = json.dumps(_values(user))
    conflicts = None
    if form.validate_on_submit():
        conflicts = _conflicts(user, form.loaded.data)
        if conflicts is None:
            conflicts = [("form", None, None)]
        elif not conflicts:
            problem = _self_lockout(user, form)
            if problem:
                form.form_errors.append(problem)
            else:
                return _save_user(user, form)
        form.loaded.data = json.dumps(_values(user))
    return render_template(
        "crm/admin/user.html",
        user=user,
        form=form,
        conflicts=conflicts or [],
        team_names={str(t.id): t.label for t in db.session.scalars(select(Team))},
    )


def _self_lockout(user: User, form: UserForm) -> str | None:
    if user.id != current_user.id:
        return None
    if not form.active.data or form.role.data != "admin":
        return gettext("You cannot deactivate yourself or take away your own administrator role.")
    return None


def _save_user(user: User, form: UserForm):
    new = {
        "name": form.name.data.strip(),
        "email": form.email.data.strip().lower(),
        "phone": form.phone.data or None,
        "role": form.role.data,
        "team_id": int(form.team_id.data) if form.team_id.data else None,
        "active": bool(form.active.data),
    }
    changes = {k: [getattr(user, k), v] for k, v in new.items() if getattr(user, k) != v}
    if changes:
        for name, (_old, value) in changes.items():
            setattr(user, name, value)
        if "active" in changes and not user.active:
            user.session_version += 1  # a deactivated account's open sessions end at once
        record("update", user, changes)
        db.session.flush()
        log.info("user %s changed by user=%s: %s", user.id, current_user.id, sorted(changes))
    flash(gettext("The account of %(name)s is saved.", name=user.name), "info")
    return redirect(url_for("crm.admin.admin_users"))


@bp.route("/admin/users/<id:user_id>/reset-2fa", methods=["POST"])
@require("admin.users")
def admin_user_reset_2fa(user_id: int):
    """For a lost phone: the second factor goes; admins and managers must enrol again."""
    user = _get_user(user_id)
    if user.totp_secret:
        remove(user)
        user.session_version += 1
        record("reset_2fa", user)
        db.session.flush()
        log.info("second factor of user %s reset by user=%s", user.id, current_user.id)
    flash(gettext("Two-step sign-in of %(name)s is reset.", name=user.name), "info")
    return redirect(url_for("crm.admin.admin_user", user_id=user.id))


@bp.route("/admin/teams", methods=["POST"])
@require("admin.users")
def admin_team_new():
    form = TeamForm()
    name = (form.name.data or "").strip()
    if not form.validate_on_submit() or not name:
        flash(gettext("Give the team a name of at most 80 characters."), "error")
    elif db.session.scalar(select(Team.id).where(func.lower(Team.name) == name.lower())):
        flash(gettext("A team with this name exists already."), "error")
    else:
        english = (form.name_en.data or "").strip() or None
        team = Team(name=name, name_en=english)
        db.session.add(team)
        record("create", team, {"name": [None, name], "name_en": [None, english]})
        db.session.flush()
        flash(gettext("Team %(name)s is created.", name=name), "info")
    return redirect(url_for("crm.admin.admin_users"))


@bp.route("/admin/teams/<id:team_id>", methods=["POST"])
@require("admin.users")
def admin_team(team_id: int):
    team = db.session.get(Team, team_id)
    if team is None:
        abort(404)
    form = TeamForm()
    name = (form.name.data or "").strip()
    english = (form.name_en.data or "").strip()
    if not form.validate_on_submit() or not name:
        flash(gettext("Give the team a name of at most 80 characters."), "error")
    elif db.session.scalar(
        select(Team.id).where(func.lower(Team.name) == name.lower(), Team.id != team.id)
    ):
        flash(gettext("A team with this name exists already."), "error")
    elif name != team.name or english != (team.name_en or ""):
        changes = {"name": [team.name, name], "name_en": [team.name_en, english or None]}
        record("update", team, {k: v for k, v in changes.items() if v[0] != v[1]})
        team.name, team.name_en = name, english or None
        db.session.flush()
        flash(gettext("Team %(name)s is saved.", name=name), "info")
    return redirect(url_for("crm.admin.admin_users"))


WECOM_PREFIX = "https://"  # the robot's key travels in the address: never over plain http
WECOM_MAX = 500


@bp.route("/admin/teams/<id:team_id>/wecom", methods=["POST"])
@require("admin.users")
def admin_team_wecom(team_id: int):
    """A team's WeCom group robot (its webhook address, key included), or none (the default)."""
    team = db.session.get(Team, team_id)
    if team is None:
        abort(404)
    url = None if request.form.get("action") == "remove" else request.form.get("url", "").strip()
    if url is not None and (
        not url.startswith(WECOM_PREFIX) or len(url) > WECOM_MAX or any(c.isspace() for c in url)
    ):
        flash(
            gettext(
                "Paste the group robot's webhook address as WeCom shows it: it starts with "
                "https:// and has at most %(max)d characters.",
                max=WECOM_MAX,
            ),
            "error",
        )
    elif url != team.wecom_webhook_url:
        # The key is a secret: the audit trail says that it changed, not what it is.
        record("update", team, {"wecom_webhook_url": [bool(team.wecom_webhook_url), bool(url)]})
        team.wecom_webhook_url = url
        db.session.flush()
        flash(gettext("The WeCom group robot of %(name)s is saved.", name=team.name), "info")
    return redirect(url_for("crm.admin.admin_users"))
