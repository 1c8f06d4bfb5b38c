"""The CRM gate, signing in and out, sessions that die, safe redirects, the create-user command."""

import logging
import re
import time

import pyotp
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, Lead, RecoveryCode, User
from core.passwords import hash_password
from crm.auth.signin_throttle import throttled_message
from crm.auth.twofactor import new_recovery_codes
from crm.permissions import is_public
from tests.conftest import csrf_token
from tests.forms import give_code, sign_in, totp_code

PASSWORD = "correct horse battery"


@pytest.fixture
def officer(app):
    with app.app_context():
        user = User(
            email="li@bureau.example",
            name="Li",
            role="officer",
            password_hash=hash_password(PASSWORD),
        )
        db.session.add(user)
        db.session.commit()
        return user.id


def test_every_crm_route_sends_anonymous_visitors_to_login(app, client):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/crm") or is_public(app.view_functions[rule.endpoint]):
            continue
        url = re.sub(r"<[^>]+>", "1", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code in (302, 400), (rule.rule, method)
            if method == "GET":
                assert response.headers["Location"].startswith("/crm/login?next=")


def test_sign_in_and_land_on_my_day(client, officer):
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/crm/"
    assert client.get("/crm/").headers["Location"] == "/crm/my-day"
    page = client.get("/crm/my-day")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"


def test_wrong_password_gives_one_message_and_no_session(client, officer):
    response = sign_in(client, password="wrong password!")
    assert response.status_code == 200
    assert client.get("/crm/account").status_code == 302
    # unknown accounts get the very same answer
    other = sign_in(client, email="nobody@bureau.example", password="wrong password!")
    assert other.get_data(as_text=True).count('class="error-summary"') == 1


def test_login_without_csrf_is_refused(client, officer):
    response = client.post("/crm/login", data={"email": "li@bureau.example", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/crm/account").status_code == 302


def test_logout_is_a_post_and_kills_copied_cookies(app, client, officer):
    sign_in(client)
    stolen = app.test_client()
    cookie = client.get_cookie("session")
    stolen.set_cookie("session", cookie.value)
    assert stolen.get("/crm/account").status_code == 200
    assert client.get("/crm/logout").status_code == 405
    token = csrf_token(client.get("/crm/account").get_data(as_text=True))
    assert client.post("/crm/logout", data={"csrf_token": token}).status_code == 302
    assert stolen.get("/crm/account").status_code == 302


def test_deactivation_ends_sessions(app, client, officer):
    sign_in(client)
    with app.app_context():
        db.session.get(User, officer).active = False
        db.session.commit()
    assert client.get("/crm/account").status_code == 302
    assert sign_in(client).status_code == 200  # refused, form again


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/crm/", "/crm/"),
        ("https://evil.example/crm", "/crm/"),
        ("//evil.example/crm", "/crm/"),
        ("/en/", "/crm/"),
        ("/crm\\@evil.example", "/crm/"),
    ],
)
def test_next_only_to_our_own_crm_paths(client, officer, target, landing):
    response = sign_in(client, next_url=target)
    assert response.headers["Location"] == landing


def test_login_attempts_are_rate_limited(app, client, officer):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        sign_in(client, password="wrong password!")
    response = sign_in(client, password="wrong password!")
    assert response.status_code == 429


def test_staff_language_switch(client, officer):
    html = client.get("/crm/login").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    token = csrf_token(html)
    client.post("/crm/language", data={"lang": "en", "next": "/crm/login", "csrf_token": token})
    assert '<html lang="en">' in client.get("/crm/login").get_data(as_text=True)


def test_company_names_are_listed_escaped(app, client, officer):
    with app.app_context():
        db.session.add(
            Lead(
                source="website",
                company_name="<script>x</script> GmbH",
                country="DE",
                industry="other",
                language="de",
                owner_id=officer,
            )
        )
        db.session.commit()
    sign_in(client)
    html = client.get("/crm/leads").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt; GmbH" in html


def test_create_user_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Wang@Bureau.example",
            "--role",
            "manager",
            "--team",
            "Europe desk",
        ],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "wang@bureau.example"))
        assert user.role == "manager" and user.team.name == "Europe desk"
        assert user.password_hash.startswith("$argon2id$")
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "User"))
    for refused in ("short", "password1234", "x@bureau.example"):
        result = runner.invoke(
            args=["create-user", "--email", "x@bureau.example", "--role", "officer"],
            input=f"{refused}\n{refused}\n",
        )
        assert result.exit_code != 0, refused
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "x@bureau.example")) is None
    bad_role = runner.invoke(
        args=["create-user", "--email", "y@bureau.example", "--role", "king"],
        input="a long enough password\na long enough password\n",
    )
    assert bad_role.exit_code != 0


# --- second factor, throttling, session lifetimes ---------------------------------------------


@pytest.fixture
def secret(app, officer):
    """The officer, now with two-step sign-in."""
    with app.app_context():
        value = pyotp.random_base32()
        db.session.get(User, officer).totp_secret = value
        db.session.commit()
        return value


def test_totp_user_signs_in_in_two_steps(client, secret):
    response = sign_in(client, next_url="/crm/account")
    assert response.headers["Location"] == "/crm/login/code"
    assert client.get("/crm/account").status_code == 302  # the password alone is not a session
    wrong = give_code(client, "000000" if totp_code(secret) != "000000" else "111111")
    assert "error-summary" in wrong.get_data(as_text=True)
    assert client.get("/crm/account").status_code == 302
    done = give_code(client, totp_code(secret))
    assert done.headers["Location"] == "/crm/account"
    assert client.get("/crm/account").status_code == 200


def test_a_used_code_cannot_be_used_again(app, client, secret):
    code = totp_code(secret)
    sign_in(client)
    assert give_code(client, code).status_code == 302
    other = app.test_client()
    sign_in(other)
    replay = give_code(other, code)
    assert replay.status_code == 200 and "error-summary" in replay.get_data(as_text=True)
    assert other.get("/crm/account").status_code == 302
    assert give_code(other, totp_code(secret, steps=1)).status_code == 302
    assert other.get("/crm/account").status_code == 200


def test_recovery_code_works_once(app, client, officer, secret):
    with app.app_context():
        codes = new_recovery_codes(db.session.get(User, officer))
        db.session.commit()
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert not set(codes) & set(stored)  # only hashes are kept
    sign_in(client)
    assert give_code(client, codes[3].lower()).status_code == 302
    assert client.get("/crm/account").status_code == 200
    again = app.test_client()
    sign_in(again)
    assert give_code(again, codes[3]).status_code == 200
    assert again.get("/crm/account").status_code == 302


def test_code_step_needs_a_fresh_password(client, secret):
    response = client.get("/crm/login/code")
    assert response.headers["Location"] == "/crm/login"
    sign_in(client)
    token = csrf_token(client.get("/crm/login/code").get_data(as_text=True))
    with client.session_transaction() as session:
        pending = dict(session["_pending_login"])
        pending["at"] -= 600
        session["_pending_login"] = pending
    late = client.post("/crm/login/code", data={"code": totp_code(secret), "csrf_token": token})
    assert late.headers["Location"] == "/crm/login"
    assert client.get("/crm/account").status_code == 302


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_admin_and_manager_must_enrol_before_anything_else(app, client, officer, role):
    with app.app_context():
        db.session.get(User, officer).role = role
        db.session.commit()
    response = sign_in(client)
    assert response.headers["Location"] == "/crm/account/two-factor"
    for path in ("/crm/", "/crm/account", "/crm/admin/users", "/crm/leads"):
        assert client.get(path).headers["Location"] == "/crm/account/two-factor", path
    page = client.get("/crm/account/two-factor").get_data(as_text=True)
    assert "<svg" in page
    with client.session_transaction() as session:
        secret = session["_totp_pending"]
    assert secret[:4] in page
    token = csrf_token(page)
    done = client.post(
        "/crm/account/two-factor", data={"code": totp_code(secret), "csrf_token": token}
    )
    assert done.status_code == 200 and done.get_data(as_text=True).count("<li><code>") == 10
    assert client.get("/crm/account").status_code == 200
    with app.app_context():
        assert db.session.get(User, officer).totp_secret == secret


def test_failed_sign_ins_are_throttled_per_account_and_address(app, client, officer):
    app.config["LOGIN_RATE_LIMIT"] = "100 per minute"
    for _ in range(5):
        assert sign_in(client, password="wrong password!").status_code == 200
    blocked = sign_in(client)  # even the right password waits now, from this address
    assert blocked.status_code == 429
    message = blocked.get_data(as_text=True)
    with app.test_request_context(), force_locale("zh"):
        before_the_minutes = throttled_message(7).split("7")[0]
    assert before_the_minutes in message
    assert client.get("/crm/account").status_code == 302
    # an unknown address gets exactly the same treatment: nothing tells them apart
    for _ in range(5):
        sign_in(client, email="nobody@bureau.example", password="wrong password!")
    unknown = sign_in(client, email="nobody@bureau.example", password="wrong password!")
    assert unknown.status_code == 429
    # another account from the same address is not affected
    with app.app_context():
        db.session.add(
            User(
                email="wu@bureau.example",
                name="Wu",
                role="officer",
                password_hash=hash_password(PASSWORD),
            )
        )
        db.session.commit()
    assert sign_in(client, email="wu@bureau.example").status_code == 302


def test_sign_ins_are_throttled_per_ip_whatever_the_account(app, client, officer):
    app.config["LOGIN_RATE_LIMIT"] = "4 per minute"
    for n in range(4):
        sign_in(client, email=f"guess{n}@bureau.example", password="wrong password!")
    assert sign_in(client).status_code == 429


def test_wrong_codes_are_throttled(app, client, secret):
    app.config["LOGIN_RATE_LIMIT"] = "100 per minute"
    sign_in(client)
    for _ in range(5):
        give_code(client, "12345")
    assert give_code(client, totp_code(secret)).status_code == 429
    assert client.get("/crm/account").status_code == 302


def _age_session(client, **seconds_ago):
    with client.session_transaction() as session:
        for key, ago in seconds_ago.items():
            session[key] = int(time.time()) - ago


def test_idle_session_ends(client, officer):
    sign_in(client)
    _age_session(client, _seen_at=29 * 60)
    assert client.get("/crm/account").status_code == 200  # activity restarts the idle clock
    _age_session(client, _seen_at=31 * 60)
    assert client.get("/crm/account").status_code == 302
    login = client.get("/crm/login").get_data(as_text=True)
    assert "notice" in login
    assert client.get("/crm/account").status_code == 302


def test_session_has_an_absolute_limit(client, officer):
    sign_in(client)
    _age_session(client, _auth_at=13 * 3600, _seen_at=60)
    assert client.get("/crm/account").status_code == 302


def test_session_without_timestamps_is_refused(app, client, officer):
    with app.app_context():
        user = db.session.get(User, officer)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
    assert client.get("/crm/account").status_code == 302


def test_sign_ins_are_logged_without_secrets(client, officer, caplog):
    caplog.set_level(logging.INFO)
    sign_in(client, password="wrong password!")
    sign_in(client)
    text = caplog.text
    assert "signin_failed" in text and f"signin user={officer}" in text
    assert PASSWORD not in text and "wrong password!" not in text
    assert "li@bureau.example" not in text
