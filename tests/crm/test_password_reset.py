"""Password reset by email link: one answer for all, single use, expiry, second factor."""

import re
import time
from datetime import UTC, datetime

import pyotp
import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry, OutboxEmail, User
from core.passwords import verify_password
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "granite lantern orchard"


@pytest.fixture
def officer(app):
    with app.app_context():
        user = make_user("officer", "li@bureau.example")
        user.language = "en"
        db.session.commit()
        return user.id


def ask_for_link(client, email="li@bureau.example"):
    token = csrf_token(client.get("/crm/password/forgot").get_data(as_text=True))
    return client.post("/crm/password/forgot", data={"email": email, "csrf_token": token})


def link_from_outbox(app) -> str:
    with app.app_context():
        email = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
        match = re.search(r"http://localhost(/crm/password/reset/\S+)", email.body_text)
        assert match, email.body_text
        return match.group(1)


def reset(client, link, password=NEW_PASSWORD, confirm=None, code=None):
    page = client.get(link)
    data = {
        "new_password": password,
        "confirm": confirm or password,
        "csrf_token": csrf_token(page.get_data(as_text=True)),
    }
    if code is not None:
        data["code"] = code
    return client.post(link, data=data)


def sign_in(client, password):
    token = csrf_token(client.get("/crm/login").get_data(as_text=True))
    return client.post(
        "/crm/login",
        data={"email": "li@bureau.example", "password": password, "csrf_token": token},
    )


def test_reset_end_to_end(app, client, officer):
    answer = ask_for_link(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/crm/login"
    with app.app_context():
        email = db.session.scalar(select(OutboxEmail))
        assert email.to_address == "li@bureau.example" and email.kind == "password_reset"
        assert email.language == "en" and "password" in email.subject.lower()
        assert PASSWORD not in email.body_text
    link = link_from_outbox(app)
    assert client.get(link).status_code == 200
    refused = reset(client, link, password="password1234")  # on the common-password list
    assert refused.status_code == 200 and 'class="error-summary"' in refused.get_data(as_text=True)
    done = reset(client, link)
    assert done.status_code == 302 and done.headers["Location"] == "/crm/login"
    assert sign_in(client, PASSWORD).status_code == 200
    assert sign_in(client, NEW_PASSWORD).status_code == 302
    with app.app_context():
        user = db.session.get(User, officer)
        assert verify_password(user.password_hash, NEW_PASSWORD)
        actions = db.session.scalars(select(AuditEntry.action)).all()
        assert actions.count("password_reset") == 1


def test_the_link_works_once(app, client, officer):
    ask_for_link(client)
    link = link_from_outbox(app)
    assert reset(client, link).status_code == 302
    again = client.get(link)
    assert again.status_code == 400 and "/crm/password/forgot" in again.get_data(as_text=True)


def test_the_link_expires_after_30_minutes(app, client, officer, monkeypatch):
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 31 * 60)
    ask_for_link(client)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    assert client.get(link_from_outbox(app)).status_code == 400


@pytest.mark.parametrize(
    "token", ["nonsense", "a" * 600, "eyJ1IjoxfQ.ZZZZZZ.tampered-signature-here"]
)
def test_bad_tokens_are_refused_cleanly(client, officer, token):
    assert client.get(f"/crm/password/reset/{token}").status_code == 400
    assert client.post(f"/crm/password/reset/{token}").status_code in (400,)


def test_unknown_email_gets_the_same_answer(app, client, officer):
    def notice(response):
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        return re.search(r'<p class="notice notice-info">([^<]+)</p>', page).group(1)

    known = notice(ask_for_link(client))
    unknown = notice(ask_for_link(client, "nobody@bureau.example"))
    assert known == unknown
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 1


def test_reset_asks_for_the_second_factor(app, client, officer):
    with app.app_context():
        secret = pyotp.random_base32()
        db.session.get(User, officer).totp_secret = secret
        db.session.commit()
    ask_for_link(client)
    link = link_from_outbox(app)
    assert 'name="code"' in client.get(link).get_data(as_text=True)
    without = reset(client, link, code="")
    assert without.status_code == 200
    wrong = reset(client, link, code="99999")
    assert wrong.status_code == 200
    with app.app_context():
        assert verify_password(db.session.get(User, officer).password_hash, PASSWORD)
    totp = pyotp.TOTP(secret)
    code = totp.generate_otp(totp.timecode(datetime.now(UTC)))
    assert reset(client, link, code=code).status_code == 302
    with app.app_context():
        assert verify_password(db.session.get(User, officer).password_hash, NEW_PASSWORD)


def test_reset_ends_open_sessions(app, client, officer):
    assert sign_in(client, PASSWORD).status_code == 302
    other = app.test_client()
    ask_for_link(other)
    reset(other, link_from_outbox(app))
    assert client.get("/crm/").status_code == 302


def test_requests_are_rate_limited(app, client, officer):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        ask_for_link(client, "nobody@bureau.example")
    assert ask_for_link(client).status_code == 429


def test_one_address_gets_a_bounded_number_of_links(app, client, officer):
    app.config["LOGIN_RATE_LIMIT"] = "100 per minute"
    for _ in range(8):
        assert ask_for_link(client).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 5
