"""The portal's walls: one enterprise never sees another's referrals, any lead, or the CRM."""

import re

import pytest
from sqlalchemy import select

from core import referrals
from core.extensions import db
from core.models import Activity, Contact, Enterprise, EnterpriseContact, Referral
from crm.permissions import is_public
from tests.conftest import csrf_token
from tests.factories import (
    make_user,
    portal_contact,
    portal_enterprise,
    portal_referral,
    portal_sign_in,
)
from tests.forms import page

PORTAL_PAGES = ("/{lang}/portal/", "/{lang}/portal/referrals/new", "/{lang}/portal/referrals/{id}")


@pytest.fixture
def two_firms(app):
    """Enterprises A and B, one contact each; A has a portal referral and two link inquiries."""
    with app.app_context():
        firm_a = portal_enterprise()
        firm_b = portal_enterprise(
            "成都蜀味食品有限公司", "Chengdu Shuwei Foods Co., Ltd.", "shuwei"
        )
        alice = portal_contact(firm_a, "alice@firm-a.example", "Alice", "en")
        bob = portal_contact(firm_b, "bob@firm-b.example", "Bob", "en")
        referral = portal_referral(firm_a, alice, "Schmidt Sensorik GmbH")
        shared = portal_referral(firm_a, None, "Dupont Emballages SA", origin="link", shared=True)
        hidden = portal_referral(firm_a, None, "Rossi Meccanica Srl", origin="link", shared=False)
        db.session.commit()
        return {
            "a": firm_a.id,
            "b": firm_b.id,
            "alice": alice.id,
            "bob": bob.id,
            "referral": referral.id,
            "shared": shared.id,
            "hidden": hidden.id,
        }


def signed_in_client(app, contact_id):
    client = app.test_client()
    with app.app_context():
        portal_sign_in(client, contact_id)
    return client


def test_another_enterprise_gets_404_on_every_referral_of_a(app, two_firms):
    bob = signed_in_client(app, two_firms["bob"])
    for key in ("referral", "shared", "hidden"):
        response = bob.get(f"/en/portal/referrals/{two_firms[key]}")
        assert response.status_code == 404, key
        assert "Schmidt" not in page(response) and "Dupont" not in page(response)
    for missing in (0, 999_999, 2**31, 2**63):
        assert bob.get(f"/en/portal/referrals/{missing}").status_code == 404
    home = page(bob.get("/en/portal/"))
    for company in ("Schmidt", "Dupont", "Rossi"):
        assert company not in home
    assert "further inquir" not in home  # not even A's count
    # A's own contact sees A's referrals
    alice = signed_in_client(app, two_firms["alice"])
    assert alice.get(f"/en/portal/referrals/{two_firms['referral']}").status_code == 200


def test_all_contacts_of_an_enterprise_see_its_referrals(app, two_firms):
    with app.app_context():
        firm_a = db.session.get(Enterprise, two_firms["a"])
        colleague = portal_contact(firm_a, "carol@firm-a.example", "Carol", "fr").id
        db.session.commit()
    carol = signed_in_client(app, colleague)
    assert "Schmidt Sensorik GmbH" in page(carol.get("/fr/portal/"))
    assert carol.get(f"/fr/portal/referrals/{two_firms['referral']}").status_code == 200


def test_unshared_link_referrals_are_counted_not_shown(app, two_firms):
    alice = signed_in_client(app, two_firms["alice"])
    home = page(alice.get("/en/portal/"))
    assert "Dupont Emballages SA" in home  # the investor agreed to be followed
    assert "Rossi" not in home
    assert (
        "1 further inquiry came through your link; its sender did not ask us to share the details."
        in home
    )
    assert alice.get(f"/en/portal/referrals/{two_firms['hidden']}").status_code == 404
    shared = page(alice.get(f"/en/portal/referrals/{two_firms['shared']}"))
    assert "Dupont Emballages SA" in shared
    assert "anna@dupont.example" not in shared  # the investor's own details stay with the bureau


def test_portal_pages_send_the_anonymous_to_sign_in(app, client, two_firms):
    for template in PORTAL_PAGES:
        for lang in ("zh", "de"):
            url = template.format(lang=lang, id=two_firms["referral"])
            response = client.get(url)
            assert response.status_code == 303, url
            location = response.headers["Location"]
            assert location.startswith(f"/{lang}/portal/sign-in?next="), url
    token = csrf_token(page(client.get("/en/portal/sign-in")))
    for url in ("/en/portal/referrals/new", "/en/portal/sign-out"):
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/en/portal/sign-in")
    with app.app_context():
        assert db.session.scalars(select(Referral).where(Referral.company_name == "")).all() == []


def test_a_portal_session_opens_no_crm_route(app, two_firms):
    """Every CRM route and method, with a portal session and a good CSRF token: never a 200."""
    alice = signed_in_client(app, two_firms["alice"])
    token = csrf_token(page(alice.get("/en/portal/")))
    failures = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("crm.") or is_public(app.view_functions[rule.endpoint]):
            continue
        url = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", str(two_firms["referral"]), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": token} if method != "GET" else None
            response = alice.open(url, method=method, data=data)
            location = response.headers.get("Location", "")
            refused = response.status_code == 403 or (
                response.status_code in (302, 303) and location.startswith("/crm/login")
            )
            if not refused:
                failures.append(f"{method} {url}: {response.status_code} {location}")
    assert not failures, "\n".join(failures)
    assert alice.get("/en/portal/").status_code == 200  # the portal session itself is unharmed


def test_referral_page_shows_nothing_the_bureau_added(app, two_firms):
    with app.test_request_context("/crm/"):
        bureau = make_user("manager", "manager@bureau.example")
        referral = db.session.get(Referral, two_firms["referral"])
        lead = referrals.accept(referral, bureau)
        lead.planned_investment = 250_000_000
        lead.owner_id = bureau.id
        lead.contacts.append(
            Contact(
                name="Bernd Bürokontakt",
                email="bernd@schmidt.example",
                phone="+4930999999",
                language="de",
            )
        )
        db.session.add(
            Activity(
                lead_id=lead.id,
                kind="note",
                subject="Confidential: budget tight",
                body="Board not yet convinced.",
                author_id=bureau.id,
            )
        )
        db.session.commit()
        lead_code = lead.code_name
    alice = signed_in_client(app, two_firms["alice"])
    html = page(alice.get(f"/en/portal/referrals/{two_firms['referral']}"))
    for secret in (
        "Bernd",
        "bernd@schmidt.example",
        "+4930999999",
        "Confidential",
        "Board not yet convinced",
        "manager@bureau.example",
        "250,000,000",
        "Planned investment",
    ):
        assert secret not in html, secret
    if lead_code:
        assert lead_code not in html
    assert "Accepted" in html


def test_a_deleted_enterprise_contact_session_is_refused(app, two_firms):
    alice = signed_in_client(app, two_firms["alice"])
    with app.app_context():
        db.session.delete(db.session.get(EnterpriseContact, two_firms["alice"]))
        db.session.commit()
    assert alice.get("/en/portal/").status_code == 303


def test_a_forged_session_value_is_refused(app, client, two_firms):
    for value in ("x", {"id": "1"}, {"id": two_firms["alice"], "v": 1}, {"id": 10**12, "v": 1}):
        with client.session_transaction() as session:
            session["portal"] = value
        assert client.get("/en/portal/").status_code == 303, value


def test_portal_pages_are_not_in_the_sitemap(app, client, two_firms):
    assert "/portal/" not in page(client.get("/sitemap.xml"))
