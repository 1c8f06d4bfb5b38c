"""The rest of the demo year `make run` loads: a lead funnel that reads like a bureau's, open and
lost leads, once; every demo lead credited to a firm in the park has its referral, in the portal."""

import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from html import escape

import phonenumbers
from flask_babel import force_locale
from sqlalchemy import func, select

from core import lead_flow
from core.extensions import db
from core.models import (
    FORWARD_RANK,
    FORWARD_STAGES,
    Contact,
    DuplicateCandidate,
    Enterprise,
    Lead,
    Project,
    Referral,
    StageChange,
    User,
)
from core.models.base import utcnow
from core.referral_status import STAGE_PROGRESS, status, status_label
from core.targets import year_bounds
from core.workdays import CHINA
from demo.leads import DEMO_LEADS
from tests.conftest import DEMO_TODAY as TODAY
from tests.factories import portal_contact, portal_sign_in


def _cohort() -> list[Lead]:
    start, end = year_bounds(TODAY.year)
    return db.session.scalars(
        select(Lead).where(Lead.created_at >= start, Lead.created_at < end)
    ).all()


def _counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Lead, StageChange, Referral)
    )


def test_the_years_funnel_reads_like_a_bureaus_and_loads_once(app, demo):
    assert int(re.search(r"demo pipeline: (\d+) created", demo).group(1)) > 400
    with app.app_context():
        before = _counts()
    again = app.test_cli_runner().invoke(args=["load-demo"]).output
    assert "demo pipeline: 0 created" in again
    with app.app_context():
        assert _counts() == before
        reached = lead_flow.lead_flow(TODAY.year).reached
        assert 450 <= reached[0] <= 600
        assert all(earlier > later for earlier, later in zip(reached, reached[1:], strict=False))
        assert reached[-1] / reached[0] < 0.25  # most leads of a year do not sign
        leads = _cohort()
        stages = Counter(lead.stage for lead in leads)
        assert all(stages[stage] > 0 for stage in FORWARD_STAGES), stages
        assert stages["lost"] > reached[0] // 4
        assert {lead.source for lead in leads} >= {"website", "event", "referral", "manual"}
        countries = Counter(lead.country for lead in leads)
        assert countries.most_common(1)[0][0] == "CN" and {"DE", "FR", "IT"} < set(countries)
        assert len(countries) >= 6
        china_desk = db.session.scalar(
            select(User.id).where(User.email == "officer2@qingyuan-port.example")
        )
        owned = [lead for lead in leads if lead.owner_id is not None]
        assert all((lead.owner_id == china_desk) == (lead.country == "CN") for lead in owned)
        assert all(lead.planned_investment for lead in leads)
        for lead in leads:
            if lead.event_id is not None:  # captured at a fair that has taken place
                assert lead.created_at.astimezone(CHINA).date() == lead.event.starts_on <= TODAY
        # Time moves leads on: those of the spring got further than those of the last month.
        month_ago = datetime.combine(TODAY - timedelta(days=30), time(), CHINA)
        spring = datetime.combine(date(TODAY.year, 6, 1), time(), CHINA)

        def mean_rank(group: list[Lead]) -> float:
            return sum(FORWARD_RANK[lead.furthest_stage] for lead in group) / len(group)

        recent = [lead for lead in leads if lead.created_at >= month_ago]
        older = [lead for lead in leads if lead.created_at < spring]
        assert recent and mean_rank(older) > mean_rank(recent) + 0.5
        assert not db.session.scalar(select(func.count()).select_from(DuplicateCandidate))


def test_lost_leads_say_why_and_histories_are_in_order_and_past(app, demo):
    with app.app_context():
        now, end_of_today = utcnow(), datetime.combine(TODAY + timedelta(days=1), time(), CHINA)
        demo_names = {row[0] for row in DEMO_LEADS}
        lost = 0
        for lead in db.session.scalars(select(Lead)):
            history = db.session.scalars(
                select(StageChange)
                .where(StageChange.lead_id == lead.id)
                .order_by(StageChange.at, StageChange.id)
            ).all()
            assert history[0].to_stage == "new" and history[0].at == lead.created_at
            assert history[-1].to_stage == lead.stage, lead.company_name
            assert lead.furthest_stage == max(
                (c.to_stage for c in history if c.to_stage in FORWARD_RANK), key=FORWARD_RANK.get
            )
            # Each stay ends when the next change begins; the last one still runs.
            assert [c.ended_at for c in history] == [c.at for c in history[1:]] + [None]
            assert history[-1].at <= now
            if lead.company_name not in demo_names:  # those are dated from the real clock
                assert history[-1].at < end_of_today
            if lead.stage == "lost":
                lost += 1
                reason = lead.lost_reason
                assert reason is not None and reason.kind == "lost_reason" and lead.lost_note
                assert (history[-1].lost_reason_id, history[-1].note) == (
                    reason.id,
                    lead.lost_note,
                )
        assert lost > 100


def test_credited_demo_leads_have_their_referral_which_the_referrer_sees(app, demo):
    with app.app_context():
        credited = db.session.scalars(
            select(Lead).where(Lead.referrer_enterprise_id.is_not(None))
        ).all()
        signed = []
        for lead in credited:
            referrals = db.session.scalars(
                select(Referral).where(Referral.lead_id == lead.id)
            ).all()
            assert [(r.enterprise_id, r.decision) for r in referrals] == [
                (lead.referrer_enterprise_id, "accepted")
            ], lead.company_name
            referral = referrals[0]
            assert referral.created_at == lead.referred_at <= lead.created_at
            history = [u.status for u in referral.updates]
            assert history[0] == "submitted" and history[-1] == status(referral)
            project = db.session.scalar(select(Project).where(Project.lead_id == lead.id))
            if project is not None:
                signed.append((lead, referral, project))
                assert referral.progress == project.stage  # signed, construction, production
            else:
                assert referral.progress == STAGE_PROGRESS[lead.stage]
        assert len(signed) >= 5
        assert len(credited) - len(signed) >= 30  # and the pipeline's, open or closed
        # A project under way: its referrer follows it in the portal with a contact of its own.
        lead, referral, project = next(s for s in signed if s[2].stage != "signed")
        firm = db.session.get(Enterprise, lead.referrer_enterprise_id)
        contact = portal_contact(firm, email="demo.referrer@park-firm.example", language="en")
        db.session.commit()
        listed = db.session.scalar(
            select(func.count()).select_from(Referral).where(Referral.enterprise_id == firm.id)
        )
        ids = (contact.id, referral.id)
        name, progress = lead.company_name, project.stage
    client = app.test_client()
    with app.app_context():
        portal_sign_in(client, ids[0])
    home = client.get("/en/portal/")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert escape(name) in page
    assert len(re.findall(r'<th scope="row"><a href="/en/portal/referrals/', page)) == listed
    detail = client.get(f"/en/portal/referrals/{ids[1]}")
    assert detail.status_code == 200
    with app.test_request_context(), force_locale("en"):
        assert status_label(progress) in detail.get_data(as_text=True)


def test_dashboard_funnel_and_lead_list_show_the_pipeline(app, demo_manager):
    client = demo_manager
    with app.app_context():
        reached = lead_flow.lead_flow(TODAY.year).reached
        newest_lost = db.session.scalar(
            select(Lead.company_name).where(Lead.stage == "lost").order_by(Lead.created_at.desc())
        )
    response = client.get("/crm/dashboard")
    assert response.status_code == 200
    rows = re.findall(
        r'<tr data-stage="(\w+)">\s*<th scope="row">[^<]*</th>\s*<td class="number">([^<]+)</td>',
        response.get_data(as_text=True),
    )
    assert [stage for stage, _ in rows] == list(FORWARD_STAGES)
    assert [int(n.replace(",", "")) for _, n in rows] == reached
    listing = client.get("/crm/leads?stage=lost")
    assert listing.status_code == 200
    assert escape(newest_lost) in listing.get_data(as_text=True)


def test_demo_phone_numbers_are_valid_for_the_firms_country(app, demo):
    """Staff who edit a demo contact must not be told its number is invalid, and a new lead
    with the same number is flagged as a possible duplicate of the demo's."""
    with app.app_context():
        rows = db.session.execute(
            select(Lead.country, Contact.phone)
            .join(Contact, Contact.lead_id == Lead.id)
            .where(Contact.phone.is_not(None))
        ).all()
    assert len(rows) > 300
    wrong = [
        (country, phone)
        for country, phone in rows
        if not phonenumbers.is_valid_number(number := phonenumbers.parse(phone, country))
        or phonenumbers.region_code_for_number(number) != country
        # As the forms store them: a new lead's duplicate check looks numbers up in E.164.
        or phone != phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    ]
    assert wrong == []
