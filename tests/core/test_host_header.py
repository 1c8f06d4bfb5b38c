"""Forged Host and X-Forwarded-Host: every address mailed, encoded or listed comes from
PUBLIC_BASE_URL, and production answers only to TRUSTED_HOSTS."""

import re

import pytest
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from core import create_app
from core.events import load_events
from core.extensions import db
from core.models import Event, OutboxEmail, Referral, User
from tests import factories, forms
from tests import forms as inquiry_form
from tests.conftest import csrf_token, make_config
from tests.factories import make_cast, make_user, sign_in_as, two_signed_projects
from tests.site import test_event_pages as event_pages
from tests.site import test_portal_referrals as referral_form

BASE = "https://invest.example.cn"
EVIL = "evil.example"
URL = re.compile(r"https?://[^\s\"'<>)]+")
# XML namespaces in the sitemap: names, not addresses anyone follows.
NAMESPACES = ("http://www.sitemaps.org/", "http://www.w3.org/")


class Forging:
    """What an attacker sends: a Host and an X-Forwarded-Host of their own."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ["HTTP_HOST"] = EVIL
        environ["HTTP_X_FORWARDED_HOST"] = EVIL
        return self.wsgi_app(environ, start_response)


@pytest.fixture
def forged(app, monkeypatch):
    """The app behind a proxy that (wrongly) believes X-Forwarded-Host: the worst case."""
    app.config["PUBLIC_BASE_URL"] = BASE
    monkeypatch.setattr(app, "wsgi_app", Forging(ProxyFix(app.wsgi_app, x_host=1)))
    return app


def only_base(text: str) -> list[str]:
    """The absolute addresses in text; each starts with PUBLIC_BASE_URL, none names the forger."""
    assert EVIL not in text
    urls = [url for url in URL.findall(text) if not url.startswith(NAMESPACES)]
    assert urls, text
    assert all(url.startswith(BASE + "/") or url == BASE for url in urls), urls
    return urls


def mails(app, kind: str) -> list[OutboxEmail]:
    with app.app_context():
        found = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind)).all()
        db.session.expunge_all()
    assert found, f"no {kind} mail queued"
    return found


def crm_client(app, user_id: int):
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, user_id)
    return client


# -- every mail that carries a link -------------------------------------------------------------


def test_password_reset_link(forged):
    with forged.app_context():
        make_user("officer", "li@bureau.example")
        db.session.commit()
    client = forged.test_client()
    token = csrf_token(client.get("/crm/password/forgot").get_data(as_text=True))
    client.post("/crm/password/forgot", data={"email": "li@bureau.example", "csrf_token": token})
    [mail] = mails(forged, "password_reset")
    assert only_base(mail.body_text)[0].startswith(f"{BASE}/crm/password/reset/")


def test_portal_sign_in_link(forged):
    ids = factories.portal_world(forged)
    forms.ask_for_link(forged.test_client(), ids["email"])
    [mail] = mails(forged, "portal_sign_in")
    assert f"{BASE}/de/portal/link/" in mail.body_text  # the contact's language
    only_base(mail.body_text)


def test_portal_invitation(forged):
    with forged.app_context():
        cast = make_cast()
        contact = factories.portal_contact(factories.portal_enterprise(), "anna@tianfu.example")
        db.session.commit()
        firm_id, contact_id = contact.enterprise_id, contact.id
    client = crm_client(forged, cast.manager)
    page = client.get(f"/crm/enterprises/{firm_id}").get_data(as_text=True)
    only_base(" ".join(re.findall(r"https?://[^\s\"<]+/inquiry\?ref=[\w-]+", page)) or page)
    client.post(
        f"/crm/enterprises/{firm_id}/contacts/{contact_id}/invite",
        data={"csrf_token": csrf_token(page)},
    )
    [mail] = mails(forged, "portal_invite")
    assert "/portal/link/" in mail.body_text
    only_base(mail.body_text)


def test_referral_notice_to_the_bureau_and_status_mail_to_the_referrer(forged):
    client = forged.test_client()
    ids = factories.portal_world(forged)
    with forged.app_context():
        factories.portal_sign_in(client, ids["contact"])
        cast = make_cast()
    response = referral_form.send(client, referral_form.open_form(client))
    assert response.status_code == 303
    [notice] = mails(forged, "referral_notification")
    assert f"{BASE}/crm/referrals/" in notice.body_text
    only_base(notice.body_text)

    with forged.app_context():
        referral_id, version = db.session.execute(select(Referral.id, Referral.version_id)).one()
    manager = crm_client(forged, cast.manager)
    page = manager.get(f"/crm/referrals/{referral_id}").get_data(as_text=True)
    response = manager.post(
        f"/crm/referrals/{referral_id}/accept",
        data={"csrf_token": csrf_token(page), "version": str(version)},
    )
    assert response.status_code == 302
    [status] = mails(forged, "referral_status")
    assert f"{BASE}/de/portal/referrals/{referral_id}" in status.body_text
    only_base(status.body_text)


def test_inquiry_confirmation_and_bureau_note(forged):
    client = forged.test_client()
    response = inquiry_form.send(client, inquiry_form.open_form(client))
    assert response.status_code == 303
    for kind in ("inquiry_confirmation", "inquiry_notification"):
        for mail in mails(forged, kind):
            assert EVIL not in mail.body_text
    [confirmation] = mails(forged, "inquiry_confirmation")
    only_base(confirmation.body_text)


def test_project_status_link(forged):
    with forged.app_context():
        cast = make_cast()
        project_id = two_signed_projects(cast)["a"].id
        db.session.commit()
    manager = crm_client(forged, cast.manager)
    token = csrf_token(manager.get(f"/crm/projects/{project_id}").get_data(as_text=True))
    response = manager.post(
        f"/crm/projects/{project_id}/status-link/send", data={"csrf_token": token}
    )
    assert response.status_code == 303
    [mail] = mails(forged, "project_status_link")
    assert "/project-status/" in mail.body_text or "/status/" in mail.body_text
    only_base(mail.body_text)


# -- pages and files that print absolute addresses ---------------------------------------------


def test_sitemap_robots_and_page_alternates(forged):
    client = forged.test_client()
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert len(only_base(sitemap)) > 20
    only_base(client.get("/robots.txt").get_data(as_text=True))
    html = client.get("/en/land").get_data(as_text=True)
    links = re.findall(r'<link rel="(?:canonical|alternate)"[^>]*href="([^"]+)"', html)
    assert links and all(link.startswith(BASE + "/") for link in links)


def test_event_qr_code_and_crm_event_page(forged):
    with forged.app_context():
        load_events()
        cast = make_cast()
        event_id = db.session.scalar(select(Event.id).where(Event.slug == event_pages.SLUG))
    client = forged.test_client()
    landing = f"{BASE}/fr/events/{event_pages.SLUG}"
    for kind in ("svg", "png"):
        response = client.get(f"/fr/events/{event_pages.SLUG}/qr.{kind}")
        assert response.data == event_pages._expected(landing, kind)
    page = crm_client(forged, cast.manager).get(f"/crm/events/{event_id}").get_data(as_text=True)
    assert f'href="{landing}"' in page
    assert EVIL not in page


# -- the hosts production answers to ---------------------------------------------------------


def test_a_host_outside_trusted_hosts_is_refused_and_nothing_is_mailed(forged):
    forged.config["TRUSTED_HOSTS"] = ["invest.example.cn"]
    with forged.app_context():
        make_user("officer", "li@bureau.example")
        db.session.commit()
    client = forged.test_client()
    refused = client.get("/crm/password/forgot")
    assert refused.status_code == 400 and EVIL not in refused.get_data(as_text=True)
    response = client.post("/crm/password/forgot", data={"email": "li@bureau.example"})
    assert response.status_code == 400
    with forged.app_context():
        assert db.session.scalar(select(OutboxEmail.id)) is None
        assert db.session.scalar(select(User.id)) is not None


def test_x_forwarded_host_is_not_believed_unless_configured(app, tmp_path):
    def proxied(**settings):
        built = create_app(
            make_config(
                tmp_path,
                SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                TRUSTED_HOSTS=["invest.example.cn"],
                PROXY_FIX=1,
                **settings,
            )
        )
        return built.test_client().get(
            "/robots.txt",
            headers={"Host": "invest.example.cn", "X-Forwarded-Host": EVIL},
        )

    assert proxied().status_code == 200  # the forwarded host was ignored
    assert proxied(PROXY_FIX_HOST=1).status_code == 400  # believed, and not a trusted host


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "http://invest.example.cn"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://invest.example.cn/path"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://invest.example.cn"}, "TRUSTED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_its_addresses(monkeypatch, env, message):
    from core.checks import refuse_unsafe
    from core.config import from_env

    for name in ("PUBLIC_BASE_URL", "TRUSTED_HOSTS", "CRM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match=message):
        refuse_unsafe(from_env())
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://invest.example.cn/")
    monkeypatch.setenv("TRUSTED_HOSTS", "invest.example.cn, www.invest.example.cn")
    config = from_env()
    assert config["PUBLIC_BASE_URL"] == "https://invest.example.cn"
    assert config["TRUSTED_HOSTS"] == ["invest.example.cn", "www.invest.example.cn"]
