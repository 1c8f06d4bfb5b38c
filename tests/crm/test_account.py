"""My account: language and time zone, password change and policy, two-step sign-in."""

import re
from datetime import UTC, datetime

import pyotp
import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry, RecoveryCode, User
from core.passwords import verify_password
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_cast, signed_in

NEW_PASSWORD = "granite lantern orchard"


def code_now(secret: str, steps: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(datetime.now(UTC)) + steps)


@pytest.fixture
def cast(app):
    with app.app_context():
        return make_cast()


def post(client, url, data, page=None):
    token = csrf_token(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def audit_actions(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


@pytest.mark.parametrize("role", ["admin", "manager", "officer", "leader"])
def test_every_role_sees_its_account(app, cast, role):
    client = signed_in(app, cast.by_role()[role])
    page = client.get("/crm/account")
    assert page.status_code == 200
    assert "/crm/account/password" in page.get_data(as_text=True)


def test_language_and_time_zone(app, cast):
    client = signed_in(app, cast.officer)
    saved = post(client, "/crm/account", {"language": "en", "timezone": "Europe/Berlin"})
    assert saved.status_code == 302
    with app.app_context():
        user = db.session.get(User, cast.officer)
        assert (user.language, user.timezone) == ("en", "Europe/Berlin")
    assert '<html lang="en">' in client.get("/crm/account").get_data(as_text=True)
    bad = post(client, "/crm/account", {"language": "xx", "timezone": "Mars/Olympus"})
    assert bad.status_code == 200 and 'class="error-summary"' in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, cast.officer).timezone == "Europe/Berlin"
    assert audit_actions(app) == ["update"]


def test_a_work_phone_as_typed_is_kept_in_international_format(app, cast):
    client = signed_in(app, cast.officer)
    base = {"language": "zh", "timezone": "Asia/Shanghai"}
    assert post(client, "/crm/account", {**base, "phone": "028-87654321"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, cast.officer).phone == "+86 28 8765 4321"
    bad = post(client, "/crm/account", {**base, "phone": "12345"})
    assert bad.status_code == 200 and "有效的电话号码" in bad.get_data(as_text=True)
    assert post(client, "/crm/account", {**base, "phone": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(User, cast.officer).phone is None


@pytest.mark.parametrize(
    ("current", "new", "confirm"),
    [
        ("wrong password here", NEW_PASSWORD, NEW_PASSWORD),  # current password wrong
        (PASSWORD, "short pass", "short pass"),  # under 12 characters
        (PASSWORD, "qwerty123456", "qwerty123456"),  # common
        (PASSWORD, "1Q2W3E4R5T6Y", "1Q2W3E4R5T6Y"),  # common, whatever the case
        (PASSWORD, "li@bureau.example", "li@bureau.example"),  # the email
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x"),  # not repeated
        (PASSWORD, "x" * 1001, "x" * 1001),  # absurdly long
    ],
)
def test_password_change_refusals(app, cast, current, new, confirm):
    client = signed_in(app, cast.officer)
    data = {"current_password": current, "new_password": new, "confirm": confirm}
    response = post(client, "/crm/account/password", data)
    assert response.status_code == 200
    assert 'class="error-summary"' in response.get_data(as_text=True)
    with app.app_context():
        assert verify_password(db.session.get(User, cast.officer).password_hash, PASSWORD)


def test_password_change_kills_copied_cookies(app, cast):
    client = signed_in(app, cast.officer)
    stolen = app.test_client()
    stolen.set_cookie("session", client.get_cookie("session").value)
    assert stolen.get("/crm/account").status_code == 200
    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert post(client, "/crm/account/password", data).status_code == 302
    assert client.get("/crm/account").status_code == 200  # this session goes on
    assert stolen.get("/crm/account").status_code == 302  # the copy is dead
    with app.app_context():
        assert verify_password(db.session.get(User, cast.officer).password_hash, NEW_PASSWORD)
    assert audit_actions(app) == ["password_change"]


def enrol(app, client):
    page = client.get("/crm/account/two-factor").get_data(as_text=True)
    with client.session_transaction() as session:
        secret = session["_totp_pending"]
    return page, secret


def test_officer_enrols_with_a_local_qr_code(app, cast):
    client = signed_in(app, cast.officer)
    page, secret = enrol(app, client)
    assert '<svg role="img"' in page and "<title>" in page
    assert " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in page  # the key as text
    assert not re.search(r'(src|href)="https?://', page)  # no QR web service
    wrong = post(client, "/crm/account/two-factor", {"code": "12345"})
    assert wrong.status_code == 200 and 'class="error-summary"' in wrong.get_data(as_text=True)
    done = post(client, "/crm/account/two-factor", {"code": code_now(secret)})
    codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    with app.app_context():
        assert db.session.get(User, cast.officer).totp_secret == secret
        hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(hashes) == 10 and not set(codes) & set(hashes)
    assert audit_actions(app) == ["totp_enrol"]
    # already on: the enrolment page sends back to the account
    assert client.get("/crm/account/two-factor").status_code == 302


@pytest.fixture
def officer_with_totp(app, cast):
    with app.app_context():
        secret = pyotp.random_base32()
        db.session.get(User, cast.officer).totp_secret = secret
        db.session.commit()
    return cast.officer, secret


def test_disable_needs_a_current_code(app, officer_with_totp):
    user_id, secret = officer_with_totp
    client = signed_in(app, user_id)
    url = "/crm/account/two-factor/disable"
    refused = post(client, url, {"disable-code": "000001"}, page="/crm/account")
    assert refused.status_code == 200 and 'class="error-summary"' in refused.get_data(as_text=True)
    assert (
        post(client, url, {"disable-code": code_now(secret)}, page="/crm/account").status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(User, user_id).totp_secret is None
    assert audit_actions(app) == ["totp_disable"]


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_admins_and_managers_cannot_disable(app, cast, role):
    user_id = cast.by_role()[role]
    client = signed_in(app, user_id)
    with app.app_context():
        secret = db.session.get(User, user_id).totp_secret
    url = "/crm/account/two-factor/disable"
    response = post(client, url, {"disable-code": code_now(secret)}, page="/crm/account")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).totp_secret == secret
    assert audit_actions(app) == []


def test_new_recovery_codes_replace_the_old(app, officer_with_totp):
    user_id, secret = officer_with_totp
    client = signed_in(app, user_id)
    url = "/crm/account/recovery-codes"
    wrong = post(client, url, {"recovery-code": "123"}, page="/crm/account")
    assert wrong.status_code == 200
    first = post(client, url, {"recovery-code": code_now(secret)}, page="/crm/account")
    old = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", first.get_data(as_text=True))
    second = post(client, url, {"recovery-code": code_now(secret, 1)}, page="/crm/account")
    new = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", second.get_data(as_text=True))
    assert len(old) == len(new) == 10 and not set(old) & set(new)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 10
    # an old code no longer signs in
    login = app.test_client()
    token = csrf_token(login.get("/crm/login").get_data(as_text=True))
    login.post(
        "/crm/login",
        data={"email": "li@bureau.example", "password": PASSWORD, "csrf_token": token},
    )
    token = csrf_token(login.get("/crm/login/code").get_data(as_text=True))
    assert (
        login.post("/crm/login/code", data={"code": old[0], "csrf_token": token}).status_code == 200
    )
    token = csrf_token(login.get("/crm/login/code").get_data(as_text=True))
    assert (
        login.post("/crm/login/code", data={"code": new[0], "csrf_token": token}).status_code == 302
    )
    # the old code's refusal is on the user's audit trail too (their warning lists it)
    assert audit_actions(app) == ["recovery_codes", "recovery_codes", "sign_in_failed"]
