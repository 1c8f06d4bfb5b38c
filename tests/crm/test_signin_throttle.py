"""Failed sign-ins from elsewhere never lock the owner out; limits per address still hold; the owner
hears of the attack once."""

import time

import pytest
from flask_babel import force_locale
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from core.extensions import db
from core.models import OutboxEmail, User
from crm.auth.signin_throttle import paused_message, throttled_message
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user
from tests.forms import give_code, sign_in, totp_code

OWNER = "li@bureau.example"
WRONG = "wrong password!"
HOME, CAFE = "192.0.2.10", "198.51.100.7"


@pytest.fixture
def owner(app):
    """An officer who reads her mail in English while the sign-in page is in Chinese."""
    with app.app_context():
        user = make_user("officer", OWNER, name="Li")
        user.language = "en"
        db.session.commit()
        return user.id


@pytest.fixture
def clock(monkeypatch):
    """time.time stands still unless moved, for the throttle and the limiter's memory storage."""
    offset = [time.time()]
    monkeypatch.setattr(time, "time", lambda: offset[0])

    def advance(seconds: float) -> None:
        offset[0] += seconds

    return advance


@pytest.fixture
def limits(app):
    app.config.update(
        LOGIN_RATE_LIMIT="100 per minute",
        LOGIN_ACCOUNT_IP_LIMIT="5 per 15 minutes",
        LOGIN_ACCOUNT_LIMIT="5 per 15 minutes",
        LOGIN_PAUSE_MAX_SECONDS=10,
    )


def browser(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_out(client) -> None:
    token = csrf_token(client.get("/crm/account").get_data(as_text=True))
    assert client.post("/crm/logout", data={"csrf_token": token}).status_code == 302


def known_browser(app, address=HOME, code_for=None):
    """A browser the owner signed in with (and out of) before."""
    client = browser(app, address)
    response = sign_in(client, OWNER)
    if code_for:
        response = give_code(client, totp_code(code_for))
    assert response.status_code == 302
    sign_out(client)
    return client


def burst(app, attempts: int, email=OWNER) -> list[int]:
    """Wrong passwords in quick succession, each from another address; each answer closed, as a
    server would, so mail waiting for the answer to be out is sent."""
    codes = []
    for n in range(attempts):
        with sign_in(browser(app, f"203.0.113.{n + 1}"), email, WRONG) as response:
            codes.append(response.status_code)
    return codes


def warnings(app) -> list[OutboxEmail]:
    with app.app_context():
        return db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.kind == "signin_warning")
        ).all()


def in_chinese(app, message) -> str:
    with app.test_request_context(), force_locale("zh"):
        return message()


def pause_shown(app, response) -> int:
    """The seconds the refusal asks to wait (Flask-Limiter's Retry-After may name its own)."""
    assert response.status_code == 429
    shown = [
        n for n in range(1, 121) if in_chinese(app, lambda n=n: paused_message(n)) in response.text
    ]
    assert len(shown) == 1, response.text
    return shown[0]


def test_failures_from_elsewhere_do_not_lock_the_owner_out(app, owner, limits, clock):
    home = known_browser(app)
    burst(app, 6)
    # the owner's own browser signs in at once
    assert sign_in(home, OWNER).status_code == 302
    # a browser never used before waits a few seconds, is told so, then gets in
    cafe = browser(app, CAFE)
    paused = sign_in(cafe, OWNER)
    wait = pause_shown(app, paused)
    assert wait == 2 and int(paused.headers["Retry-After"]) >= wait
    assert cafe.get("/crm/account").status_code == 302
    clock(wait)
    assert sign_in(cafe, OWNER).status_code == 302
    assert cafe.get("/crm/account").status_code == 200


def test_the_pause_grows_to_its_ceiling_and_unknown_addresses_get_the_same(
    app, owner, limits, clock
):
    for email in (OWNER, "nobody@bureau.example"):
        assert burst(app, 6, email) == [200] * 6
        waits = []
        for n in range(5):
            attacker = browser(app, f"198.18.0.{n + 1}")
            waits.append(pause_shown(app, sign_in(attacker, email, WRONG)))
            clock(waits[-1])
            assert sign_in(attacker, email, WRONG).status_code == 200  # counted: a longer pause
        assert waits == [2, 4, 8, 10, 10], email


def test_a_known_browser_still_meets_the_limits_per_address(app, owner, limits):
    home = known_browser(app)
    app.config["LOGIN_RATE_LIMIT"] = "7 per minute"  # a new limit, a new count
    for _ in range(5):
        assert sign_in(home, OWNER, WRONG).status_code == 200
    blocked = sign_in(home, OWNER)  # the right password, from the address that failed
    assert blocked.status_code == 429
    assert in_chinese(app, lambda: throttled_message(15)) in blocked.text
    assert home.get("/crm/account").status_code == 302
    # the per-address limit counts every account
    with app.app_context():
        make_user("officer", "wu@bureau.example")
        db.session.commit()
    assert sign_in(home, "wu@bureau.example").status_code == 302
    assert sign_in(browser(app, HOME), "wu@bureau.example").status_code == 429


@pytest.mark.parametrize(("secure", "name"), [(False, "crm-device"), (True, "__Secure-crm-device")])
def test_a_complete_sign_in_leaves_a_signed_device_cookie(app, owner, secure, name):
    app.config["SESSION_COOKIE_SECURE"] = secure
    client = browser(app, HOME)
    cookie = next(
        header
        for header in sign_in(client, OWNER).headers.getlist("Set-Cookie")
        if header.startswith(name + "=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/crm" in cookie
    assert ("Secure" in cookie) is secure
    assert "Max-Age=15552000" in cookie  # LOGIN_DEVICE_DAYS, 180


def test_a_device_cookie_counts_only_for_its_own_user(app, owner, limits):
    with app.app_context():
        make_user("officer", "wu@bureau.example")
        db.session.commit()
    wus = browser(app, HOME)
    assert sign_in(wus, "wu@bureau.example").status_code == 302
    sign_out(wus)
    burst(app, 6)
    assert sign_in(wus, OWNER).status_code == 429  # Wu's browser is not Li's
    forged = browser(app, CAFE)
    value = URLSafeTimedSerializer("a guessed key", salt="crm.known-device").dumps({"u": owner})
    forged.set_cookie("crm-device", value, path="/crm")
    assert sign_in(forged, OWNER).status_code == 429


def test_the_owner_is_warned_once_in_her_language_without_secrets(
    app, owner, limits, clock, smtp_server
):
    burst(app, 6)
    assert [mail.subject for mail in smtp_server.received] == [
        "Failed sign-ins to your CRM account"
    ]
    for n in range(4):
        clock(10)
        assert sign_in(browser(app, f"198.18.0.{n + 1}"), OWNER, WRONG).status_code == 200
    (mail,) = warnings(app)
    assert mail.to_address == OWNER and mail.language == "en"
    assert mail.subject == "Failed sign-ins to your CRM account"
    body = mail.body_text
    assert "Hello Li," in body and "6 failed attempts" in body and "Asia/Shanghai" in body
    assert "The password was not accepted" in body
    assert "203.0.113.1" in body and "203.0.113.5" in body
    assert WRONG not in body and PASSWORD not in body
    # an hour later the attack still goes on: one more warning
    clock(3600)
    for n in range(7):
        clock(10)
        sign_in(browser(app, f"198.18.1.{n + 1}"), OWNER, WRONG)
    assert len(warnings(app)) == 2


@pytest.fixture
def secret(app, owner):
    with app.app_context():
        user = db.session.get(User, owner)
        user.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        db.session.commit()
        return user.totp_secret


def test_guessing_codes_from_elsewhere_is_paused_but_the_owner_gets_in(
    app, owner, secret, limits, clock
):
    home = known_browser(app, code_for=secret)
    # someone who knows the password tries codes from one address after another
    for n in range(6):
        attacker = browser(app, f"203.0.113.{n + 1}")
        assert sign_in(attacker, OWNER).headers["Location"] == "/crm/login/code"
        assert give_code(attacker, "12345").status_code == 200
    attacker = browser(app, CAFE)
    sign_in(attacker, OWNER)
    assert pause_shown(app, give_code(attacker, "12345")) == 2
    # meanwhile the owner's browser: the right password and code pass (the next time step's
    # code: the one she used before cannot be used again)
    assert sign_in(home, OWNER).headers["Location"] == "/crm/login/code"
    assert give_code(home, totp_code(secret, steps=1)).status_code == 302
    assert home.get("/crm/account").status_code == 200
    # the owner is told that her password is known
    (mail,) = warnings(app)
    assert "knows your password" in mail.body_text and "12345" not in mail.body_text
