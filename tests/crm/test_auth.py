"""The CRM gate, signing in and out, sessions that die, safe redirects, the create-user command."""

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, Lead, User
from core.passwords import hash_password
from tests.conftest import csrf_token

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


def sign_in(client, email="li@bureau.example", password=PASSWORD, next_url=None):
    url = "/crm/login" + (f"?next={next_url}" if next_url else "")
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def test_every_crm_route_sends_anonymous_visitors_to_login(app, client):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/crm") or rule.endpoint in {"crm.login", "crm.set_language"}:
            continue
        url = rule.rule.replace("<int:", "<").replace("<", "").replace(">", "")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code in (302, 400), (rule.rule, method)
            if method == "GET":
                assert response.headers["Location"].startswith("/crm/login?next=")


def test_sign_in_and_see_the_inquiries(client, officer):
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/crm/"
    page = client.get("/crm/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"


def test_wrong_password_gives_one_message_and_no_session(client, officer):
    response = sign_in(client, password="wrong password!")
    assert response.status_code == 200
    assert client.get("/crm/").status_code == 302
    # unknown accounts get the very same answer
    other = sign_in(client, email="nobody@bureau.example", password="wrong password!")
    assert other.get_data(as_text=True).count("error-summary") == 1


def test_login_without_csrf_is_refused(client, officer):
    response = client.post("/crm/login", data={"email": "li@bureau.example", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/crm/").status_code == 302


def test_logout_is_a_post_and_kills_copied_cookies(app, client, officer):
    sign_in(client)
    stolen = app.test_client()
    cookie = client.get_cookie("session")
    stolen.set_cookie("session", cookie.value)
    assert stolen.get("/crm/").status_code == 200
    assert client.get("/crm/logout").status_code == 405
    token = csrf_token(client.get("/crm/").get_data(as_text=True))
    assert client.post("/crm/logout", data={"csrf_token": token}).status_code == 302
    assert stolen.get("/crm/").status_code == 302


def test_deactivation_ends_sessions(app, client, officer):
    sign_in(client)
    with app.app_context():
        db.session.get(User, officer).active = False
        db.session.commit()
    assert client.get("/crm/").status_code == 302
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


def test_newest_inquiries_are_listed_escaped(app, client, officer):
    with app.app_context():
        db.session.add(
            Lead(
                source="website",
                company_name="<script>x</script> GmbH",
                country="DE",
                industry="other",
                language="de",
            )
        )
        db.session.commit()
    sign_in(client)
    html = client.get("/crm/").get_data(as_text=True)
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
    short = runner.invoke(
        args=["create-user", "--email", "x@bureau.example", "--role", "officer"],
        input="short\nshort\n",
    )
    assert short.exit_code != 0
    bad_role = runner.invoke(
        args=["create-user", "--email", "y@bureau.example", "--role", "king"],
        input="a long enough password\na long enough password\n",
    )
    assert bad_role.exit_code != 0
