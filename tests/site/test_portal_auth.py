"""Portal sign-in: asking for a link reveals nothing, links are single-use and expire, sign-out."""

import re
import time
from datetime import timedelta

from sqlalchemy import select

from core import enterprises
from core.extensions import db
from core.models import AuditEntry, Enterprise, EnterpriseContact, OutboxEmail, PortalLink
from core.models.base import utcnow
from public_site.portal.session import KEY
from tests.conftest import csrf_token, translated
from tests.factories import (
    portal_referral,
    portal_sign_in,
    portal_world,
)
from tests.forms import ask_for_link, page

SAME_ANSWER = "If this address belongs to an enterprise contact, we have sent a sign-in link."
LINK = re.compile(r"http://localhost/(zh|en|de|fr)/portal/link/[A-Za-z0-9_-]+")


def issue(app, contact_id: int, lang: str = "de") -> str:
    """A fresh sign-in link for the contact; returns the token."""
    with app.test_request_context(f"/{lang}/"):
        token = enterprises.issue_link(db.session.get(EnterpriseContact, contact_id), "sign_in")
        db.session.commit()
    return token


def use_link(client, token: str, lang: str = "de"):
    html = page(client.get(f"/{lang}/portal/link/{token}"))
    return client.post(f"/{lang}/portal/link/{token}", data={"csrf_token": csrf_token(html)})


# -- asking for a sign-in link ---------------------------------------------------------------


def test_known_and_unknown_addresses_get_the_same_answer(app, client, smtp_server):
    ids = portal_world(app)
    known = ask_for_link(client, ids["email"].upper())
    unknown = ask_for_link(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    for response in (known, unknown):
        html = page(response)
        assert SAME_ANSWER in html
        assert 'role="status"' in html
        assert response.headers["Cache-Control"] == "no-store"
        assert '<meta name="robots" content="noindex">' in html

    def strip_tokens(html: str) -> str:
        return re.sub(r'value="[^"]*"', "", html)

    assert strip_tokens(page(known)) == strip_tokens(page(unknown))
    # One email, to the known contact, in their language (German), carrying a German link.
    assert [r.rcpt_tos for r in smtp_server.received] == [[ids["email"]]]
    mail = smtp_server.received[0]
    assert mail.subject == translated(app, "Your sign-in link to the enterprise portal", "de")
    assert mail.message["Content-Language"] == "de"
    assert LINK.search(mail.body).group(1) == "de"
    assert translated(app, "Hello %(name)s,", "de", name="王芳") in mail.body


def test_inactive_contact_gets_no_link(app, client, smtp_server):
    ids = portal_world(app, active=False)
    response = ask_for_link(client, ids["email"])
    assert response.status_code == 200 and SAME_ANSWER in page(response)
    assert smtp_server.received == []
    with app.app_context():
        assert db.session.scalars(select(PortalLink)).all() == []


def test_bad_address_is_explained(app, client):
    response = ask_for_link(client, "not an address", "de")
    assert response.status_code == 422
    html = page(response)
    assert translated(app, "Enter an email address like name@example.com.", "de") in html
    assert 'id="error-summary"' in html


def test_rate_limit_per_ip_in_the_page_language(app, client):
    app.config["PORTAL_RATE_LIMIT"] = "2 per minute"
    for n in range(2):
        assert ask_for_link(client, f"someone{n}@example.com", "fr").status_code == 200
    response = ask_for_link(client, "someone9@example.com", "fr")
    assert response.status_code == 429
    html = page(response)
    assert '<html lang="fr">' in html
    assert translated(app, "Too many requests", "fr") in html
    assert client.get("/fr/portal/sign-in").status_code == 200  # viewing is never limited


def test_rate_limit_per_address_whoever_asks(app, client, smtp_server):
    ids = portal_world(app)
    for n in range(3):
        response = ask_for_link(client, ids["email"], environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
        assert response.status_code == 200
    response = ask_for_link(client, ids["email"], environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert response.status_code == 429
    html = page(response)
    assert "Several sign-in links were asked for this address in a short time." in html
    assert 'id="error-summary"' in html and 'name="email"' in html  # the form, not an error page
    response = ask_for_link(client, ids["email"], "de", environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert response.status_code == 429 and '<html lang="de">' in page(response)
    assert len(smtp_server.received) == 3
    # an unknown address is throttled the same way: the limit tells nothing
    for _ in range(3):
        ask_for_link(client, "ghost@example.com", environ_base={"REMOTE_ADDR": "192.0.2.20"})
    response = ask_for_link(client, "ghost@example.com", environ_base={"REMOTE_ADDR": "192.0.2.21"})
    assert response.status_code == 429


# -- the link ------------------------------------------------------------------------------------


def test_emailed_link_signs_in_once_and_get_does_not_use_it(app, client, smtp_server):
    ids = portal_world(app, language="zh")
    ask_for_link(client, ids["email"], "de")
    url = LINK.search(smtp_server.received[0].body).group(0)
    path = url.removeprefix("http://localhost")
    assert path.startswith("/zh/portal/link/")  # the contact's language so far
    path = path.replace("/zh/", "/de/", 1)  # they open it in German

    for _ in range(3):  # a mail scanner opening the link does not use it up
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
    html = page(response)
    assert client.get("/de/portal/").status_code == 303  # not signed in yet

    response = client.post(path, data={"csrf_token": csrf_token(html)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/de/portal/")
    assert client.get("/de/portal/").status_code == 200
    with app.app_context():
        contact = db.session.get(EnterpriseContact, ids["contact"])
        assert contact.language == "de"  # the portal and emails follow their choice
        assert contact.last_sign_in_at is not None
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "EnterpriseContact")
        ).all()
        assert set(actions) >= {"sign_in", "update"}

    # the second use fails, for this browser and any other
    other = app.test_client()
    assert other.get(path).status_code == 410
    # (signing in gave this browser a new CSRF token: the one seen before is worthless now)
    assert client.post(path, data={"csrf_token": csrf_token(html)}).status_code == 400
    fresh = csrf_token(page(client.get("/de/portal/")))
    response = client.post(path, data={"csrf_token": fresh})
    assert response.status_code == 410
    assert translated(app, "Ask for a new sign-in link", "de") in page(response)


def test_expired_link_fails(app, client):
    ids = portal_world(app)
    token = issue(app, ids["contact"])
    with app.app_context():
        link = db.session.scalars(select(PortalLink)).one()
        link.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get(f"/de/portal/link/{token}").status_code == 410
    html = page(client.get("/de/portal/sign-in"))
    response = client.post(f"/de/portal/link/{token}", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 410
    assert client.get("/de/portal/").status_code == 303


def test_link_of_a_deactivated_contact_fails(app, client):
    ids = portal_world(app)
    token = issue(app, ids["contact"])
    with app.app_context():
        db.session.get(EnterpriseContact, ids["contact"]).active = False
        db.session.commit()
    html = page(client.get("/de/portal/sign-in"))
    response = client.post(f"/de/portal/link/{token}", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 410
    assert client.get("/de/portal/").status_code == 303


def test_unknown_and_silly_tokens_fail_cleanly(app, client):
    for token in ("nope", "x" * 300):
        assert client.get(f"/en/portal/link/{token}").status_code == 410
    assert client.get("/en/portal/link/%00").status_code == 404  # no address holds a NUL


def test_link_post_needs_the_csrf_token(app, client):
    ids = portal_world(app)
    token = issue(app, ids["contact"])
    client.get(f"/de/portal/link/{token}")
    assert client.post(f"/de/portal/link/{token}").status_code == 400
    # the link is still good after the refused attempt
    assert use_link(client, token).status_code == 303


def test_after_sign_in_the_page_asked_for_opens(app, client):
    ids = portal_world(app)
    with app.app_context():
        firm = db.session.get(Enterprise, ids["enterprise"])
        referral_id = portal_referral(firm, db.session.get(EnterpriseContact, ids["contact"])).id
        db.session.commit()
    response = client.get(f"/en/portal/referrals/{referral_id}")
    assert response.status_code == 303
    sign_in_page = response.headers["Location"]
    assert "next=" in sign_in_page
    html = page(client.get(sign_in_page))
    hidden_next = re.search(r'name="next" type="hidden" value="([^"]*)"', html).group(1)
    assert hidden_next == f"/en/portal/referrals/{referral_id}"
    client.post(
        "/en/portal/sign-in",
        data={"csrf_token": csrf_token(html), "email": ids["email"], "next": hidden_next},
    )
    token = issue(app, ids["contact"])
    response = use_link(client, token, "en")
    assert response.headers["Location"].endswith(f"/en/portal/referrals/{referral_id}")


def test_next_is_only_ever_a_portal_path(app):
    ids = portal_world(app)
    for target in ("https://evil.example/", "//evil.example", "/crm/", "/en/portal//evil.example"):
        client = app.test_client()
        html = page(client.get("/en/portal/sign-in", query_string={"next": target}))
        assert re.search(r'name="next" type="hidden" value=""', html), target
        client.post(
            "/en/portal/sign-in",
            data={"csrf_token": csrf_token(html), "email": ids["email"], "next": target},
        )
        response = use_link(client, issue(app, ids["contact"]), "en")
        assert response.headers["Location"] == "/en/portal/", target
        limiter_reset()


def limiter_reset() -> None:
    from core.extensions import limiter

    limiter.reset()


# -- the session ---------------------------------------------------------------------------------


def test_sign_out_ends_the_session_and_a_copied_cookie(app, client):
    ids = portal_world(app)
    assert use_link(client, issue(app, ids["contact"])).status_code == 303
    assert client.get("/de/portal/").status_code == 200
    copied = client.get_cookie("session").value

    html = page(client.get("/de/portal/"))
    response = client.post("/de/portal/sign-out", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/de/portal/sign-in")
    assert client.get("/de/portal/").status_code == 303

    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/de/portal/")
    assert response.status_code == 303
    assert "/de/portal/sign-in" in response.headers["Location"]
    with app.app_context():
        assert db.session.get(EnterpriseContact, ids["contact"]).session_version == 2


def test_sign_out_is_a_post_with_csrf(app, client):
    ids = portal_world(app)
    with app.app_context():
        portal_sign_in(client, ids["contact"])
    assert client.get("/de/portal/sign-out").status_code == 405
    assert client.post("/de/portal/sign-out").status_code == 400
    assert client.get("/de/portal/").status_code == 200


def test_deactivation_ends_a_running_session(app, client):
    ids = portal_world(app)
    with app.app_context():
        portal_sign_in(client, ids["contact"])
    assert client.get("/en/portal/").status_code == 200
    with app.app_context():
        db.session.get(EnterpriseContact, ids["contact"]).active = False
        db.session.commit()
    assert client.get("/en/portal/").status_code == 303


def test_idle_and_absolute_timeouts(app, client):
    ids = portal_world(app)
    with app.app_context():
        portal_sign_in(client, ids["contact"])
    now = int(time.time())
    with client.session_transaction() as session:
        session[KEY] = {**session[KEY], "seen": now - 61 * 60}
    response = client.get("/en/portal/")
    assert response.status_code == 303
    html = page(client.get(response.headers["Location"]))
    assert "Your session has ended. Please sign in again." in html

    with app.app_context():
        portal_sign_in(client, ids["contact"])
    with client.session_transaction() as session:
        session[KEY] = {**session[KEY], "since": now - 13 * 3600}
    assert client.get("/en/portal/").status_code == 303

    with app.app_context():
        portal_sign_in(client, ids["contact"])
    with client.session_transaction() as session:
        session[KEY] = {**session[KEY], "seen": now - 30 * 60}
    assert client.get("/en/portal/").status_code == 200  # active within the hour: still in


def test_signed_in_contact_is_sent_from_sign_in_to_home(app, client):
    ids = portal_world(app)
    with app.app_context():
        portal_sign_in(client, ids["contact"])
    response = client.get("/fr/portal/sign-in")
    assert response.status_code == 303 and response.headers["Location"].endswith("/fr/portal/")


def test_no_outbox_rows_for_unknown_addresses(app, client):
    ask_for_link(client, "nobody@example.com")
    with app.app_context():
        assert db.session.scalars(select(OutboxEmail)).all() == []


def test_the_link_is_mailed_only_after_the_answer_is_out(app, client, smtp_server):
    """A known address must not answer more slowly than an unknown one: no SMTP in the request."""
    ids = portal_world(app)
    html = page(client.get("/en/portal/sign-in"))
    response = client.post(
        "/en/portal/sign-in",
        data={"csrf_token": csrf_token(html), "email": ids["email"]},
        buffered=False,
    )
    assert response.status_code == 200
    assert smtp_server.received == []  # the answer is complete, nothing sent yet
    response.close()  # what the server does once the answer is delivered
    assert len(smtp_server.received) == 1
