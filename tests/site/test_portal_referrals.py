"""Referring a firm from the portal, and following its status as the bureau works on it."""

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy import update as sa_update

from core import leads, referrals
from core.extensions import db
from core.models import (
    AssignmentRule,
    AuditEntry,
    Enterprise,
    EnterpriseContact,
    OutboxEmail,
    Referral,
    Team,
    User,
)
from core.models.referral import ReferralUpdate
from core.referrals import consent_hash
from tests.conftest import translated
from tests.factories import (
    make_user,
    portal_enterprise,
    portal_referral,
    portal_sign_in,
    portal_world,
)
from tests.forms import page

CONSENT = (
    "The contact person agreed that we pass their details in this form to the investment bureau "
    "of the park, and that the bureau contacts them about investing in the park."
)
HIDDEN = re.compile(r'<input id="[^"]*" name="([^"]+)" type="hidden" value="([^"]*)">')


def answers(**overrides) -> dict:
    data = {
        "company_name": "Schmidt Sensorik GmbH",
        "company_name_latin": "",
        "country": "DE",
        "industry": "electronics",
        "contact_name": "Anna Schmidt",
        "contact_email": "anna.schmidt@schmidt-sensorik.example",
        "contact_phone": "030 1234567",
        "contact_position": "Geschäftsführerin",
        "contact_language": "de",
        "plans": "A plant for pressure sensors, about 30 mu, from 2027.",
        "how_known": "Our customer for ten years.",
        "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def open_form(client, lang: str = "de") -> dict:
    response = client.get(f"/{lang}/portal/referrals/new")
    assert response.status_code == 200
    return dict(HIDDEN.findall(page(response)))


def send(client, hidden: dict, lang: str = "de", **overrides):
    return client.post(f"/{lang}/portal/referrals/new", data={**hidden, **answers(**overrides)})


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def signed_in(app, client):
    ids = portal_world(app)
    with app.app_context():
        portal_sign_in(client, ids["contact"])
    return ids


# -- the form ------------------------------------------------------------------------------


def test_form_in_every_language_with_a_separate_unticked_consent(app, client, signed_in):
    for lang, tag in (("zh", "zh-Hans"), ("en", "en"), ("de", "de"), ("fr", "fr")):
        response = client.get(f"/{lang}/portal/referrals/new")
        html = page(response)
        assert response.status_code == 200
        assert f'<html lang="{tag}">' in html
        assert response.headers["Cache-Control"] == "no-store"
        assert '<meta name="robots" content="noindex">' in html
        consent = re.search(r'<fieldset class="consents">.*?</fieldset>', html, re.S).group(0)
        assert re.search(r'<input id="consent" name="consent" required type="checkbox"', consent)
        assert "checked" not in consent
        assert translated(app, CONSENT, lang) in consent
        # the referred contact's language defaults to the page's
        assert re.search(rf'<option lang="{tag}" selected value="{lang}">', html)
        assert re.fullmatch(r"[0-9a-f]{32}", dict(HIDDEN.findall(html))["submission_key"])


def test_required_fields(app, client, signed_in):
    empty = dict.fromkeys(answers(), "") | {"consent": None}
    response = send(client, open_form(client), **empty)
    assert response.status_code == 422
    html = page(response)
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    for field in (
        "company_name",
        "country",
        "industry",
        "contact_name",
        "contact_email",
        "contact_language",
        "plans",
        "how_known",
        "consent",
    ):
        assert f'href="#{field}"' in summary, field
        assert f'id="{field}-error"' in html, field
    for optional in ("company_name_latin", "contact_phone", "contact_position"):
        assert f'href="#{optional}"' not in summary
    assert count(app, Referral) == 0


def test_bad_email_and_phone_explained_in_german(app, client, signed_in):
    response = send(client, open_form(client), contact_email="anna@", contact_phone="12")
    assert response.status_code == 422
    html = page(response)
    assert translated(app, "Enter an email address like name@example.com.", "de") in html
    assert (
        translated(
            app, "Enter a phone number with its country code, for example +49 30 1234 5678.", "de"
        )
        in html
    )
    assert 'value="Schmidt Sensorik GmbH"' in html  # nothing typed is lost
    assert count(app, Referral) == 0


def test_too_long_texts_are_refused(app, client, signed_in):
    response = send(client, open_form(client, "en"), "en", company_name="x" * 201, plans="y" * 5001)
    assert response.status_code == 422
    html = page(response)
    assert "Use 200 characters or fewer (you entered 201)." in html
    assert "Use 5000 characters or fewer (you entered 5001)." in html


def test_missing_consent_is_refused(app, client, signed_in):
    response = send(client, open_form(client), consent=None)
    assert response.status_code == 422
    assert 'id="consent-error"' in page(response)
    assert translated(
        app, "Tick this box to confirm that the contact person agreed.", "de"
    ) in page(response)
    assert count(app, Referral) == 0


def test_self_referral_is_refused_with_the_reason(app, client, signed_in):
    response = send(
        client, open_form(client, "en"), "en", company_name="四川清源新材料科技有限公司"
    )
    assert response.status_code == 422
    html = page(response)
    assert "This looks like your own company." in html
    assert 'id="company_name-error"' in html
    # a colleague's address as the contact is the same thing
    response = send(
        client, open_form(client, "en"), "en", company_name="Other GmbH",
        contact_email=signed_in["email"].upper(),
    )  # fmt: skip
    assert response.status_code == 422
    assert "This looks like your own company." in page(response)
    assert count(app, Referral) == 0


def test_referral_of_a_firm_in_the_park_is_refused(app, client, signed_in):
    with app.app_context():
        portal_enterprise("成都蜀味食品有限公司", "Chengdu Shuwei Foods Co., Ltd.", "shuwei-foods")
        db.session.commit()
    response = send(client, open_form(client, "en"), "en", company_name="Chengdu Shuwei Foods")
    assert response.status_code == 422
    html = page(response)
    assert "Chengdu Shuwei Foods Co., Ltd. is already in the park" in html
    assert count(app, Referral) == 0


def test_a_valid_referral_is_stored_with_its_consent_and_shown(app, client, signed_in):
    response = send(client, open_form(client))
    assert response.status_code == 303
    with app.app_context():
        referral = db.session.scalars(select(Referral)).one()
        assert referral.enterprise_id == signed_in["enterprise"]
        assert referral.submitted_by_id == signed_in["contact"]
        assert referral.origin == "portal"
        assert referral.contact_phone == "+49301234567"  # read as a German number
        assert referral.company_name_latin is None
        assert referral.contact_language == "de"
        assert referral.consent_language == "de"
        shown = translated(app, CONSENT, "de")
        assert referral.consent_hash == consent_hash(shown, "de")
        assert [u.status for u in referral.updates] == ["submitted"]
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "Referral")
        ).one()
        assert entry.actor == f"contact:{signed_in['contact']}" and entry.action == "create"
        referral_id = referral.id
    assert response.headers["Location"].endswith(f"/de/portal/referrals/{referral_id}")
    html = page(client.get(response.headers["Location"]))
    assert 'role="status"' in html and "Schmidt Sensorik GmbH" in html

    home = page(client.get("/de/portal/"))
    row = re.search(r"<tr>\s*<td>[^<]+</td>\s*<th scope=\"row\">.*?</tr>", home, re.S).group(0)
    assert "Schmidt Sensorik GmbH" in row
    assert translated(app, "Submitted", "de") in row


def test_double_submit_stores_one_referral(app, client, signed_in):
    hidden = open_form(client)
    first = send(client, hidden)
    second = send(client, hidden)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app, Referral) == 1
    assert count(app, ReferralUpdate) == 1
    # a new form is a new referral (the bureau sorts out a real duplicate)
    assert send(client, open_form(client), company_name="Weber Antriebe GmbH").status_code == 303
    assert count(app, Referral) == 2


def test_two_requests_racing_with_one_form_store_one(app, client, signed_in, monkeypatch):
    """The second request passes the check before the first commits: the unique key catches it."""
    from public_site.portal import views

    hidden = open_form(client)
    assert send(client, hidden).status_code == 303
    real = views._own_referral
    calls = []

    def not_yet(key):
        calls.append(key)
        return None if len(calls) == 1 else real(key)

    monkeypatch.setattr(views, "_own_referral", not_yet)
    response = send(client, hidden)
    assert response.status_code == 303
    assert len(calls) == 2
    assert count(app, Referral) == 1


def test_a_forged_submission_key_is_replaced(app, client, signed_in):
    response = send(client, {**open_form(client), "submission_key": "<script>"})
    assert response.status_code == 303
    with app.app_context():
        assert re.fullmatch(
            r"[0-9a-f]{32}", db.session.scalars(select(Referral)).one().submission_key
        )


def test_stale_csrf_token_keeps_what_was_typed(app, client, signed_in):
    response = send(client, {**open_form(client), "csrf_token": "stale"})
    assert response.status_code == 400
    html = page(response)
    assert 'value="Schmidt Sensorik GmbH"' in html
    assert 'id="error-summary"' in html
    assert count(app, Referral) == 0


# -- following the referral ----------------------------------------------------------------------


def test_status_follows_the_lead_and_the_contact_is_emailed(app, client, signed_in):
    assert send(client, open_form(client)).status_code == 303
    with app.test_request_context("/crm/"):
        bureau = make_user("manager", "manager@bureau.example")
        referral = db.session.scalars(select(Referral)).one()
        lead = referrals.accept(referral, bureau)
        db.session.commit()
        leads.record_stage(lead, "site_visit", bureau)
        db.session.commit()
        referral_id, lead_id = referral.id, lead.id

    html = page(client.get(f"/de/portal/referrals/{referral_id}"))
    status_line = re.search(r'<p class="status-line">.*?</p>', html, re.S).group(0)
    assert translated(app, "Site visit", "de") in status_line
    history = re.search(r'<ol class="referral-history">.*?</ol>', html, re.S).group(0)
    for state in ("Submitted", "Accepted", "Site visit"):
        assert translated(app, state, "de") in history
    home = page(client.get("/de/portal/"))
    assert translated(app, "Site visit", "de") in home

    with app.app_context():
        emails = db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.kind == "referral_status")
            .order_by(OutboxEmail.id)
        ).all()
        assert [e.to_address for e in emails] == [signed_in["email"]] * 2
        assert {e.language for e in emails} == {"de"}
        last = emails[-1]
        assert last.subject == translated(
            app,
            "Your referral of %(company)s: %(status)s",
            "de",
            company="Schmidt Sensorik GmbH",
            status=translated(app, "Site visit", "de"),
        )
        assert f"/de/portal/referrals/{referral_id}" in last.body_text
        assert db.session.get(Referral, referral_id).lead_id == lead_id


def test_declined_referral_shows_the_reason_and_message(app, client, signed_in):
    with app.test_request_context("/crm/"):
        firm = db.session.get(Enterprise, signed_in["enterprise"])
        contact = db.session.get(EnterpriseContact, signed_in["contact"])
        referral = portal_referral(firm, contact)
        bureau = make_user("manager", "manager@bureau.example")
        referrals.decline(referral, bureau, "not_a_fit", "We have no plots for chemicals.")
        db.session.commit()
        referral_id = referral.id
        email = db.session.scalars(select(OutboxEmail)).one()
        assert "We have no plots for chemicals." in email.body_text
    html = page(client.get(f"/en/portal/referrals/{referral_id}"))
    assert "Declined" in html
    assert "The project does not fit the park&#39;s industries or land." in html
    assert "We have no plots for chemicals." in html


def test_no_amount_unless_the_bureau_shares_it(app, client, signed_in):
    assert send(client, open_form(client, "en"), "en").status_code == 303
    with app.test_request_context("/crm/"):
        bureau = db.session.get(User, make_user("manager", "manager@bureau.example").id)
        referral = db.session.scalars(select(Referral)).one()
        lead = referrals.accept(referral, bureau)
        lead.planned_investment = 123_000_000
        db.session.commit()
        referral_id = referral.id
    url = f"/en/portal/referrals/{referral_id}"
    html = page(client.get(url))
    assert "123,000,000" not in html and "Planned investment" not in html
    with app.app_context():
        db.session.get(Referral, referral_id).share_amounts = True
        db.session.commit()
    html = page(client.get(url))
    assert "Planned investment" in html and "123,000,000" in html


def test_the_bureau_hears_of_a_new_referral_in_chinese(app, client, signed_in):
    from core.models import OutboxEmail

    assert send(client, open_form(client)).status_code == 303
    with app.app_context():
        email = db.session.scalar(
            select(OutboxEmail).where(OutboxEmail.kind == "referral_notification")
        )
        assert email.to_address == app.config["BUREAU_EMAIL"] and email.language == "zh"
        referral_id = db.session.scalar(select(Referral.id))
        assert f"/crm/referrals/{referral_id}" in email.body_text


def test_a_new_referral_waits_with_the_team_the_assignment_rules_give(app, client, signed_in):
    with app.app_context():
        europe, china = Team(name="Europe desk"), Team(name="China desk")
        db.session.add_all([europe, china])
        db.session.flush()
        make_user("officer", "li@bureau.example", europe)
        make_user("officer", "zhao@bureau.example", china)
        german = AssignmentRule(kind="language", match="de", team_id=europe.id)
        everyone = AssignmentRule(kind="round_robin", team_id=china.id, position=1)
        db.session.add_all([german, everyone])
        db.session.commit()
        europe_id, china_id, german_id = europe.id, china.id, german.id
    assert send(client, open_form(client)).status_code == 303
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        assert referral.team_id == europe_id
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "Referral"))
        assert entry.changes == {"team": [None, europe_id]}
        assert db.session.get(AssignmentRule, german_id).last_user_id is None  # no turn taken
        email = db.session.scalar(
            select(OutboxEmail).where(OutboxEmail.kind == "referral_notification")
        )
        assert f"{translated(app, 'Team')}: Europe desk" in email.body_text
        db.session.get(AssignmentRule, german_id).active = False
        db.session.commit()
    # The same company again joins the first where it waits, whatever the rules say now.
    assert send(client, open_form(client), contact_name="Jan Schmidt").status_code == 303
    assert send(client, open_form(client), company_name="Weber Antriebe GmbH").status_code == 303
    with app.app_context():
        teams = dict(db.session.execute(select(Referral.contact_name, Referral.team_id)).all())
        weber = db.session.scalar(
            select(Referral.team_id).where(Referral.company_name == "Weber Antriebe GmbH")
        )
        assert teams["Jan Schmidt"] == europe_id and weber == china_id
        # No rule gives a team: the referral waits in the shared inbox, and the mail says so.
        db.session.execute(sa_update(AssignmentRule).values(active=False))
        db.session.commit()
    assert send(client, open_form(client), company_name="Keller Guss AG").status_code == 303
    with app.app_context():
        keller = db.session.scalar(
            select(Referral).where(Referral.company_name == "Keller Guss AG")
        )
        assert keller.team_id is None
        email = db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.kind == "referral_notification")
            .order_by(OutboxEmail.id.desc())
        ).first()
        assert translated(app, "Shared inbox") in email.body_text
