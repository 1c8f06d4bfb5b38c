"""Administration: users and teams, settings, lists; who may open it and what each change leaves."""

import json
import re

import pytest
from sqlalchemy import func, select

from core import settings
from core.extensions import db
from core.models import AuditEntry, ListItem, RecoveryCode, Team, User
from tests.conftest import csrf_token
from tests.factories import make_cast, signed_in
from tests.forms import sign_in

ADMIN_PAGES = (
    "/crm/admin/users",
    "/crm/admin/users/new",
    "/crm/admin/settings",
    "/crm/admin/lists",
    "/crm/admin/lists?kind=lost_reason",
)
NEW_PASSWORD = "granite lantern orchard"


@pytest.fixture
def cast(app):
    with app.app_context():
        return make_cast()


@pytest.fixture
def admin(app, cast):
    return signed_in(app, cast.admin)


def post(client, url, data, page):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def audit(app) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return entries


def test_admin_opens_every_page(app, cast, admin):
    for path in (*ADMIN_PAGES, f"/crm/admin/users/{cast.officer}"):
        response = admin.get(path)
        assert response.status_code == 200, path
        assert not re.search(r'(src|href)="https?://', response.get_data(as_text=True))


@pytest.mark.parametrize("role", ["manager", "officer", "leader"])
def test_other_roles_are_refused(app, cast, role):
    client = signed_in(app, cast.by_role()[role])
    for path in (*ADMIN_PAGES, f"/crm/admin/users/{cast.officer}"):
        assert client.get(path).status_code == 403, path
    assert client.post("/crm/admin/settings").status_code in (400, 403)
    html = client.get("/crm/account").get_data(as_text=True)
    assert "/crm/admin/users" not in html


def test_unknown_ids_and_kinds_are_404(admin):
    assert admin.get("/crm/admin/users/99999").status_code == 404
    assert admin.get("/crm/admin/lists?kind=colour").status_code == 404


def new_user(admin, **overrides):
    data = {
        "name": "Sun Mei",
        "email": "Sun@Bureau.example",
        "role": "officer",
        "team_id": "",
        "language": "en",
        "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    return post(admin, "/crm/admin/users/new", data, "/crm/admin/users/new")


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": "li@bureau.example"},  # taken
        {"email": "not an email"},
        {"role": "king"},
        {"team_id": "99999"},
        {"new_password": "password1234", "confirm": "password1234"},
        {"new_password": "sun@bureau.example", "confirm": "sun@bureau.example"},
        {"name": ""},
    ],
)
def test_new_user_refusals(app, admin, overrides):
    response = new_user(admin, **overrides)
    assert response.status_code == 200
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert not audit(app)


def test_new_user_can_sign_in(app, cast, admin):
    assert new_user(admin, team_id=str(cast.team_a)).status_code == 302
    entries = audit(app)
    assert len(entries) == 1 and entries[0].action == "create"
    assert sign_in(app.test_client(), "sun@bureau.example", NEW_PASSWORD).status_code == 302


def edit_form(admin, user_id) -> dict:
    page = admin.get(f"/crm/admin/users/{user_id}").get_data(as_text=True)
    loaded = re.search(r'name="loaded" type="hidden" value="([^"]*)"', page)
    loaded = loaded or re.search(r'id="loaded" name="loaded" type="hidden" value="([^"]*)"', page)
    return {
        "csrf_token": csrf_token(page),
        "loaded": loaded.group(1).replace("&#34;", '"'),
        "name": "Li Wei",
        "email": "li@bureau.example",
        "role": "officer",
        "team_id": "",
        "active": "y",
    }


def test_edit_user_writes_one_audit_entry_and_ignores_other_fields(app, cast, admin):
    data = edit_form(admin, cast.officer)
    data.update(
        {"role": "manager", "password_hash": "x", "session_version": "99", "totp_secret": "A"}
    )
    assert admin.post(f"/crm/admin/users/{cast.officer}", data=data).status_code == 302
    with app.app_context():
        user = db.session.get(User, cast.officer)
        assert (user.name, user.role, user.team_id) == ("Li Wei", "manager", None)
        assert user.session_version == 1 and user.totp_secret is None
        assert user.password_hash.startswith("$argon2id$")
    [entry] = audit(app)
    assert set(entry.changes) == {"name", "role", "team_id"}


def test_stale_edit_is_refused_showing_what_changed(app, cast, admin):
    data = edit_form(admin, cast.officer)
    with app.app_context():
        db.session.get(User, cast.officer).name = "Changed Meanwhile"
        db.session.commit()
    response = admin.post(f"/crm/admin/users/{cast.officer}", data=data)
    assert response.status_code == 200
    assert "Changed Meanwhile" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, cast.officer).name == "Changed Meanwhile"
    assert not audit(app)
    data["loaded"] = "{not json"
    assert admin.post(f"/crm/admin/users/{cast.officer}", data=data).status_code == 200
    assert not audit(app)


def test_deactivation_kills_a_live_session(app, cast, admin):
    officer = signed_in(app, cast.officer)
    assert officer.get("/crm/account").status_code == 200
    data = edit_form(admin, cast.officer)
    data.pop("active")
    assert admin.post(f"/crm/admin/users/{cast.officer}", data=data).status_code == 302
    assert officer.get("/crm/account").status_code == 302
    with app.app_context():
        assert db.session.get(User, cast.officer).active is False


def test_admin_cannot_lock_themselves_out(app, cast, admin):
    data = edit_form(admin, cast.admin)
    data.update({"email": "admin@bureau.example", "role": "officer"})
    response = admin.post(f"/crm/admin/users/{cast.admin}", data=data)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(User, cast.admin).role == "admin"


def test_reset_two_factor(app, cast, admin):
    manager = signed_in(app, cast.manager)
    with app.app_context():
        from crm.auth.twofactor import new_recovery_codes

        new_recovery_codes(db.session.get(User, cast.manager))
        db.session.commit()
    url = f"/crm/admin/users/{cast.manager}/reset-2fa"
    assert post(admin, url, {}, f"/crm/admin/users/{cast.manager}").status_code == 302
    with app.app_context():
        assert db.session.get(User, cast.manager).totp_secret is None
        assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    assert [e.action for e in audit(app)] == ["reset_2fa"]
    assert manager.get("/crm/account").status_code == 302  # signed out; must enrol on next sign-in


def test_teams_add_and_rename(app, admin):
    page = "/crm/admin/users"
    assert post(admin, "/crm/admin/teams", {"name": "Japan desk"}, page).status_code == 302
    assert post(admin, "/crm/admin/teams", {"name": "japan DESK"}, page).status_code == 302
    assert post(admin, "/crm/admin/teams", {"name": "x" * 81}, page).status_code == 302
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.name == "Japan desk"))
        assert db.session.scalar(select(func.count()).select_from(Team)) == 3
    assert (
        post(admin, f"/crm/admin/teams/{team.id}", {"name": "Korea desk"}, page).status_code == 302
    )
    assert post(admin, "/crm/admin/teams/99999", {"name": "Nope"}, page).status_code == 404
    assert [e.action for e in audit(app)] == ["create", "update"]


@pytest.mark.parametrize(
    "values",
    [
        {"response_working_days": "two"},
        {"response_working_days": "-1"},
        {"liaison_threshold_cny": "-500"},
        {"liaison_threshold_cny": "5e8"},
        {"retention_years": ""},
        {"retention_years": "1000"},
        {"retention_years": "9" * 400},
    ],
)
def test_settings_validation(app, admin, values):
    data = {
        "response_working_days": "3",
        "liaison_threshold_cny": "300000000",
        "retention_years": "5",
        "escalation_working_days": "3",
    }
    data.update(values)
    response = post(admin, "/crm/admin/settings", data, "/crm/admin/settings")
    assert response.status_code == 200
    assert 'class="error-summary"' in response.get_data(as_text=True)
    with app.app_context():
        assert settings.get("response_working_days") == 2
    assert not audit(app)


def test_settings_saved_with_one_audit_entry(app, admin):
    data = {
        "response_working_days": "3",
        "liaison_threshold_cny": "300000000",
        "retention_years": "3",
        "escalation_working_days": "5",
    }
    assert post(admin, "/crm/admin/settings", data, "/crm/admin/settings").status_code == 302
    with app.app_context():
        assert settings.get("response_working_days") == 3
        assert settings.get("liaison_threshold_cny") == 300_000_000
    [entry] = audit(app)
    assert entry.changes == {
        "response_working_days": [2, 3],
        "liaison_threshold_cny": [500_000_000, 300_000_000],
        "escalation_working_days": [3, 5],
    }
    post(admin, "/crm/admin/settings", data, "/crm/admin/settings")  # no change: no entry
    assert len(audit(app)) == 1


def test_load_demo_seeds_the_lists(app, demo):
    from core.content import get_content

    assert app.test_cli_runner().invoke(args=["load-demo"]).exit_code == 0  # safe to run again
    with app.app_context():
        kinds = db.session.scalars(select(ListItem.kind)).all()
        industries = get_content().site["industries"]
        assert kinds.count("industry") == len(industries)
        assert kinds.count("lost_reason") == 6
        item = db.session.scalar(select(ListItem).where(ListItem.code == "project-cancelled"))
        assert set(item.labels) == {"zh", "en", "de", "fr"}


def add_item(admin, code="relocated", kind="lost_reason", **labels):
    data = {"new-code": code, "new-zh": "搬迁", "new-en": "Relocated", "new-de": "", "new-fr": ""}
    data.update({f"new-{k}": v for k, v in labels.items()})
    page = f"/crm/admin/lists?kind={kind}"
    return post(admin, f"/crm/admin/lists/{kind}", data, page)


def items(app, kind="lost_reason") -> list[ListItem]:
    with app.app_context():
        rows = db.session.scalars(
            select(ListItem).where(ListItem.kind == kind).order_by(ListItem.position)
        ).all()
        db.session.expunge_all()
        return rows


def test_list_add_with_validation(app, admin):
    assert add_item(admin).status_code == 302
    for bad in ({"code": "Bad Code!"}, {"code": "relocated"}, {"code": "ok-code", "en": ""}):
        response = add_item(admin, **bad)
        assert response.status_code == 200, bad
        assert 'class="error-summary"' in response.get_data(as_text=True)
    assert add_item(admin, kind="colour").status_code == 404
    [item] = items(app)
    assert item.labels == {"zh": "搬迁", "en": "Relocated"}
    assert [e.action for e in audit(app)] == ["create"]


def test_list_rename_reorder_deactivate(app, admin):
    add_item(admin, "first")
    add_item(admin, "second", en="Second", zh="第二")
    first, second = items(app)
    page = admin.get("/crm/admin/lists?kind=lost_reason").get_data(as_text=True)
    token = csrf_token(page)
    rename = {
        "csrf_token": token,
        f"i{first.id}-version_id": str(first.version_id),
        f"i{first.id}-zh": "第一",
        f"i{first.id}-en": "First",
        f"i{first.id}-de": "Erste",
        f"i{first.id}-fr": "",
    }
    assert admin.post(f"/crm/admin/lists/items/{first.id}", data=rename).status_code == 302
    # the same form again carries an old version: refused, nothing overwritten
    rename[f"i{first.id}-en"] = "Overwritten"
    assert admin.post(f"/crm/admin/lists/items/{first.id}", data=rename).status_code == 302
    assert items(app)[0].labels == {"zh": "第一", "en": "First", "de": "Erste"}
    empty = {**rename, f"i{first.id}-version_id": str(items(app)[0].version_id)}
    empty[f"i{first.id}-zh"] = ""
    assert admin.post(f"/crm/admin/lists/items/{first.id}", data=empty).status_code == 302
    assert items(app)[0].labels["zh"] == "第一"
    assert "first" in admin.get("/crm/admin/lists?kind=lost_reason").get_data(as_text=True)
    url = f"/crm/admin/lists/items/{second.id}/move"
    assert admin.post(url, data={"csrf_token": token, "direction": "up"}).status_code == 302
    assert [i.code for i in items(app)] == ["second", "first"]
    url = f"/crm/admin/lists/items/{first.id}/active"
    assert admin.post(url, data={"csrf_token": token, "active": "0"}).status_code == 302
    assert items(app)[1].active is False
    assert (
        admin.post("/crm/admin/lists/items/99999/active", data={"csrf_token": token}).status_code
        == 404
    )
    actions = [e.action for e in audit(app)]
    assert actions == ["create", "create", "update", "move", "update"]
    entry = audit(app)[-1]
    assert entry.changes == {"active": [True, False]}


def test_hidden_loaded_field_is_json(app, cast, admin):
    data = edit_form(admin, cast.officer)
    assert json.loads(data["loaded"])["email"] == "li@bureau.example"


def test_a_team_has_an_english_name_english_staff_read(app, admin, cast):
    page = "/crm/admin/users"
    data = {"name": "欧洲招商组", "name_en": "Europe desk"}
    assert post(admin, f"/crm/admin/teams/{cast.team_a}", data, page).status_code == 302
    with app.app_context():
        team = db.session.get(Team, cast.team_a)
        assert (team.name, team.name_en) == ("欧洲招商组", "Europe desk")
        entry = audit(app)[-1]
        assert entry.changes["name_en"] == [None, "Europe desk"]
        officer = db.session.get(User, cast.officer)
        officer.language = "en"
        db.session.commit()
    # English staff read the English name and the role in words; Chinese staff the Chinese ones.
    english = signed_in(app, cast.officer).get("/crm/board").get_data(as_text=True)
    assert "Investment officer · Europe desk" in english and "欧洲招商组" not in english
    with app.app_context():
        db.session.get(User, cast.officer).language = "zh"
        db.session.commit()
    chinese = signed_in(app, cast.officer).get("/crm/board").get_data(as_text=True)
    assert "欧洲招商组" in chinese and "Europe desk" not in chinese
    assert "officer" not in re.search(r'<span class="who">.*?</span></span>', chinese).group(0)
