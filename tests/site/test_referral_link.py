"""Inquiries through an enterprise's referral link: who gets the credit, and what may be shared."""

from sqlalchemy import select

from core.enterprises import load_enterprises
from core.extensions import db
from core.models import ConsentRecord, Enterprise, Lead, OutboxEmail, Referral
from tests.forms import open_form, page, send


def enterprise(app, slug: str = "wendel-drives") -> tuple[int, str]:
    with app.app_context():
        load_enterprises()
        firm = db.session.scalar(select(Enterprise).where(Enterprise.slug == slug))
        return firm.id, firm.referral_code


def stored_lead(app) -> Lead:
    return db.session.scalar(select(Lead))


def test_link_names_the_enterprise_and_asks_separately_to_share(app, client):
    _, code = enterprise(app)
    html = page(client.get(f"/de/inquiry?ref={code}"))
    assert "Wendel" in html
    assert 'name="share"' in html
    assert 'name="share" type="checkbox" value="y">' in html  # never ticked beforehand
    # without a link (or with an unknown code) there is nothing to share and nobody to name
    assert 'name="share"' not in page(client.get("/de/inquiry"))
    assert 'name="share"' not in page(client.get("/de/inquiry?ref=not-a-real-code"))


def test_inquiry_through_the_link_is_credited_to_the_enterprise(app, client):
    firm_id, code = enterprise(app)
    hidden = open_form(client, "de", f"?ref={code}")
    assert hidden["ref"] == code
    assert send(client, hidden, "de", share="y").status_code == 303
    with app.app_context():
        lead = stored_lead(app)
        assert (lead.source, lead.referrer_enterprise_id) == ("referral", firm_id)
        assert lead.referred_at is not None
        referral = db.session.scalar(select(Referral))
        assert (referral.origin, referral.decision, referral.lead_id) == (
            "link",
            "accepted",
            lead.id,
        )
        assert referral.shared_with_referrer is True
        assert db.session.scalar(select(ConsentRecord.sharing)) is True


def test_without_the_sharing_consent_the_credit_stays_but_nothing_is_shared(app, client):
    firm_id, code = enterprise(app)
    with app.app_context():
        from core.models import EnterpriseContact

        db.session.add(EnterpriseContact(enterprise_id=firm_id, name="K", email="k@wendel.example"))
        db.session.commit()
    send(client, open_form(client, "de", f"?ref={code}"), "de")
    with app.app_context():
        assert stored_lead(app).referrer_enterprise_id == firm_id
        referral = db.session.scalar(select(Referral))
        assert referral.shared_with_referrer is False
        assert db.session.scalar(select(ConsentRecord.sharing)) is False
        kinds = set(db.session.scalars(select(OutboxEmail.kind)))
        assert "referral_status" not in kinds  # the enterprise is not told


def test_with_the_sharing_consent_the_enterprise_is_told(app, client):
    firm_id, code = enterprise(app)
    with app.app_context():
        from core.models import EnterpriseContact

        db.session.add(
            EnterpriseContact(
                enterprise_id=firm_id, name="K", email="k@wendel.example", language="de"
            )
        )
        db.session.commit()
    send(client, open_form(client, "de", f"?ref={code}"), "de", share="y")
    with app.app_context():
        email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "referral_status"))
        assert email.to_address == "k@wendel.example"
        assert email.language == "de"
        assert "Schmidt Sensorik" in email.subject


def test_an_enterprise_cannot_earn_credit_for_itself_or_another_firm_in_the_park(app, client):
    _, code = enterprise(app)
    for company in ("Wendel Antriebstechnik GmbH", "Chengdu Shuwei Foods Co., Ltd."):
        with app.app_context():
            for lead in db.session.scalars(select(Lead)):
                db.session.delete(lead)
            db.session.commit()
        send(client, open_form(client, "en", f"?ref={code}"), "en", company=company)
        with app.app_context():
            lead = stored_lead(app)
            assert lead is not None, company  # the inquiry itself is never lost
            assert lead.referrer_enterprise_id is None, company
            assert lead.source == "website"
            assert db.session.scalar(select(Referral)) is None


def test_an_unknown_code_is_kept_on_the_inquiry_but_credits_nobody(app, client):
    enterprise(app)
    send(client, open_form(client, "en", "?ref=FIRM-042"), "en")
    with app.app_context():
        lead = stored_lead(app)
        assert lead.referrer_enterprise_id is None
        assert lead.inquiries[0].referral_code == "FIRM-042"
