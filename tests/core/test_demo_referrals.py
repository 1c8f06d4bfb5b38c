"""The demo enterprises and referrals `make run` loads: every road a referral can take, once."""

from sqlalchemy import func, select

from core.extensions import db
from core.models import Enterprise, EnterpriseContact, Lead, Referral
from core.referral_status import status
from demo.enterprises import DEMO_REFERRALS


def test_load_demo_makes_enterprises_contacts_and_referrals_once(app, demo):
    assert "enterprises: 20 created" in demo
    assert f"demo referrals: {len(DEMO_REFERRALS)} created" in demo
    again = app.test_cli_runner().invoke(args=["load-demo"]).output
    assert "enterprises: 0 created" in again and "demo referrals: 0 created" in again
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 20
        assert db.session.scalar(select(func.count()).select_from(EnterpriseContact)) >= 4
        referrals = db.session.scalars(select(Referral)).all()
        roads = {status(r) for r in referrals}
        assert roads >= {"submitted", "declined", "site_visit", "construction"}
        for referral in referrals:
            history = [u.status for u in referral.updates]
            assert history[0] == "submitted" and history[-1] == status(referral)
            if referral.lead is not None:
                lead = referral.lead
                assert lead.referrer_enterprise_id == referral.enterprise_id
                assert lead.referred_at <= lead.created_at  # referred first: the credit is fair
        credited = db.session.scalars(select(Lead).where(Lead.referrer_enterprise_id.is_not(None)))
        assert all(lead.source == "referral" for lead in credited)
