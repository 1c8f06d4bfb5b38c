"""The referral queue and page: accept, merge, decline, share; credit; what the referrer hears."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import (
    AuditEntry,
    ConsentRecord,
    Contact,
    Enterprise,
    Lead,
    OutboxEmail,
    Referral,
    User,
)
from core.models.base import utcnow
from tests.conftest import csrf_token, translated
from tests.factories import (
    make_contact,
    make_enterprise,
    make_lead,
    make_referral,
    signed_in,
)

NOW = utcnow()


@pytest.fixture
def world(app, cast):
    """Two enterprises with a German-speaking contact each, and one referral waiting."""
    with app.app_context():
        tianfu = make_enterprise()
        lingnan = make_enterprise(
            "lingnan", "岭南新材料有限公司", name_latin="Lingnan New Materials"
        )
        anna = make_contact(tianfu, "anna@tianfu.example", "de")
        make_contact(lingnan, "li@lingnan.example", "zh")
        referral = make_referral(tianfu, anna)
        db.session.commit()
        return {"tianfu": tianfu.id, "lingnan": lingnan.id, "referral": referral.id}


def page(client, referral_id: int):
    response = client.get(f"/crm/referrals/{referral_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client, referral_id: int, action: str, version=None, **data):
    """Send one of the referral page's forms, with the token and version the page carries."""
    html = page(client, referral_id)
    if version is None:
        version = re.search(r'name="version" value="(\d+)"', html).group(1)
    form = {"csrf_token": csrf_token(html), "version": str(version), **data}
    return client.post(f"/crm/referrals/{referral_id}/{action}", data=form)


def load(referral_id: int) -> Referral:
    db.session.expire_all()
    return db.session.get(Referral, referral_id)


def emails(kind: str = "referral_status") -> list[OutboxEmail]:
    return list(
        db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id)
        )
    )


# -- the queue ---------------------------------------------------------------------------------


def test_queue_oldest_waiting_first_then_decided_with_filters(app, cast, world):
    with app.app_context():
        tianfu = db.session.get(Enterprise, world["tianfu"])
        lingnan = db.session.get(Enterprise, world["lingnan"])
        make_referral(
            lingnan, company="Älteste Werke AG", email="a@alt.example", at=NOW - timedelta(days=9)
        )
        make_referral(
            tianfu, company="Neueste GmbH", email="n@neu.example", at=NOW - timedelta(hours=1)
        )
        make_referral(
            lingnan, company="Abgelehnt KG", email="x@ab.example", decision="declined",
            decline_reason="not_a_fit", decided_at=NOW - timedelta(days=1), team_id=cast.team_a,
        )  # fmt: skip
        db.session.commit()
    client = signed_in(app, cast.officer)
    html = client.get("/crm/referrals").get_data(as_text=True)
    waiting, decided = html.split('id="decided-title"')
    positions = [waiting.index(name) for name in ("Älteste", "Schmidt", "Neueste")]
    assert positions == sorted(positions)
    assert "Abgelehnt KG" in decided and "Abgelehnt KG" not in waiting
    assert "Referral link" not in html and "Enterprise portal" in html
    assert "Germany" in html and "/crm/referrals/leaderboard" not in html  # officers: no board

    only_declined = client.get("/crm/referrals?decision=declined").get_data(as_text=True)
    assert "Abgelehnt KG" in only_declined and "Schmidt" not in only_declined
    by_lingnan = client.get(f"/crm/referrals?enterprise={world['lingnan']}").get_data(as_text=True)
    assert "Älteste" in by_lingnan and "Abgelehnt" in by_lingnan and "Neueste" not in by_lingnan
    for junk in ("decision=nonsense&enterprise=x", "enterprise=²", "enterprise=" + "9" * 5000):
        assert client.get(f"/crm/referrals?{junk}").status_code == 200
    manager = signed_in(app, cast.manager).get("/crm/referrals").get_data(as_text=True)
    assert "/crm/referrals/leaderboard" in manager
    assert signed_in(app, cast.leader).get("/crm/referrals").status_code == 403


def test_page_shows_what_was_sent_and_matching_leads(app, cast, world):
    with app.app_context():
        known = make_lead("Schmidt Antriebstechnik", email="k.schmidt@schmidt.example")
        known.created_at = NOW - timedelta(days=30)
        db.session.commit()
        code = known.code_name
    html = page(signed_in(app, cast.manager), world["referral"])
    assert "Our supplier for ten years" in html and "A plant for gearboxes" in html
    assert "k.schmidt@schmidt.example" in html and "anna@tianfu.example" in html
    assert code in html and "email" in html
    assert "No: the company was known before this referral" in html  # the lead is older
    assert 'name="override_reason"' in html  # managers may give the credit anyway
    officer_html = page(signed_in(app, cast.officer), world["referral"])
    assert 'name="override_reason"' not in officer_html
    assert signed_in(app, cast.manager).get("/crm/referrals/99999999999").status_code == 404
    assert signed_in(app, cast.manager).get("/crm/referrals/424242").status_code == 404


# -- accepting ---------------------------------------------------------------------------------


def test_accept_creates_a_credited_lead_and_tells_the_referrer_in_german(
    app, cast, world, smtp_server
):
    client = signed_in(app, cast.manager)
    response = post(client, world["referral"], "accept")
    assert response.status_code == 302
    with app.app_context():
        referral = load(world["referral"])
        lead = referral.lead
        assert response.headers["Location"].endswith(f"/crm/leads/{lead.id}")
        assert (referral.decision, referral.progress) == ("accepted", "accepted")
        assert lead.source == "referral" and lead.referrer_enterprise_id == world["tianfu"]
        assert lead.referred_at == referral.created_at
        (contact,) = db.session.scalars(select(Contact).where(Contact.lead_id == lead.id))
        assert contact.email == "k.schmidt@schmidt.example"
        consent = db.session.scalar(
            select(ConsentRecord).where(ConsentRecord.contact_id == contact.id)
        )
        assert consent.form == "referral" and consent.sharing is True
        (email,) = emails()
        assert email.to_address == "anna@tianfu.example" and email.language == "de"
        subject = translated(
            app,
            "Your referral of %(company)s: %(status)s",
            "de",
            company="Schmidt Antriebstechnik GmbH",
            status=translated(app, "Accepted", "de"),
        )
        assert email.subject == subject
        assert email.status == "sent"  # tried at once after the commit
        assert [u.status for u in referral.updates] == ["submitted", "accepted"]
    (received,) = smtp_server.to("anna@tianfu.example")
    assert received.subject == subject


def test_accept_refused_while_a_matching_lead_exists_unless_a_different_company(app, cast, world):
    with app.app_context():
        make_lead("Schmidt Antriebstechnik", email="k.schmidt@schmidt.example")
        db.session.commit()
    client = signed_in(app, cast.manager)
    response = post(client, world["referral"], "accept")
    assert response.status_code == 422
    assert "may already be in the pipeline" in response.get_data(as_text=True)
    with app.app_context():
        assert load(world["referral"]).decision == "submitted"
        assert db.session.scalar(select(func.count()).select_from(Lead)) == 1
        assert not emails()
    response = post(client, world["referral"], "accept", different_company="y")
    assert response.status_code == 302
    with app.app_context():
        assert load(world["referral"]).decision == "accepted"


def test_accept_refused_while_an_earlier_referral_of_the_company_waits(app, cast, world):
    with app.app_context():
        lingnan = db.session.get(Enterprise, world["lingnan"])
        first = make_referral(
            lingnan, company="Schmidt Antriebstechnik GmbH", at=NOW - timedelta(days=5)
        )
        db.session.commit()
        first_id = first.id
    client = signed_in(app, cast.manager)
    assert "Earlier referrals of this company are waiting" in page(client, world["referral"])
    response = post(client, world["referral"], "accept")
    assert response.status_code == 422
    assert "An earlier referral of this company is still waiting" in response.get_data(as_text=True)
    with app.app_context():
        assert load(world["referral"]).decision == "submitted"
    assert post(client, first_id, "accept").status_code == 302  # the first one may go ahead


# -- merging into a lead -----------------------------------------------------------------------


def _lead(created_at, owner_id=None, company="Schmidt Antriebstechnik") -> tuple[int, str]:
    owner = db.session.get(User, owner_id) if owner_id else None
    lead = make_lead(company, email="info@schmidt.example", owner=owner)
    lead.created_at = created_at
    db.session.commit()
    return lead.id, lead.code_name


def test_merge_into_a_lead_created_after_the_referral_gives_credit(app, cast, world):
    with app.app_context():
        lead_id, _ = _lead(NOW)  # the bureau met the firm at a fair after the referral
    client = signed_in(app, cast.manager)
    html = page(client, world["referral"])
    assert "Yes: this referral came first" in html
    response = post(client, world["referral"], "merge", match=str(lead_id))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/crm/leads/{lead_id}")
    with app.app_context():
        referral, lead = load(world["referral"]), db.session.get(Lead, lead_id)
        assert referral.decision == "accepted" and referral.lead_id == lead_id
        assert lead.referrer_enterprise_id == world["tianfu"]
        assert lead.referred_at == referral.created_at
        assert "k.schmidt@schmidt.example" in [c.email for c in lead.contacts]
        assert len(emails()) == 1


def test_merge_into_a_lead_known_before_gives_no_credit_and_declines(app, cast, world):
    with app.app_context():
        lead_id, code = _lead(NOW - timedelta(days=30))
    client = signed_in(app, cast.manager)
    response = post(client, world["referral"], "merge", lead_number=code)  # typed code name
    assert response.status_code == 302
    with app.app_context():
        referral, lead = load(world["referral"]), db.session.get(Lead, lead_id)
        assert (referral.decision, referral.decline_reason) == ("declined", "already_known")
        assert referral.lead_id == lead_id and lead.referrer_enterprise_id is None
        (email,) = emails()
        assert email.subject.endswith(translated(app, "Declined", "de"))


def test_manager_override_gives_credit_with_the_reason_in_the_audit_trail(app, cast, world):
    with app.app_context():
        lead_id, _ = _lead(NOW - timedelta(days=30))
    client = signed_in(app, cast.manager)
    reason = "The firm only answered us after Tianfu's introduction"
    response = post(
        client, world["referral"], "merge", lead_number=str(lead_id), override_reason=reason
    )
    assert response.status_code == 302
    with app.app_context():
        assert load(world["referral"]).decision == "accepted"
        assert db.session.get(Lead, lead_id).referrer_enterprise_id == world["tianfu"]
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.entity_type == "Lead",
                AuditEntry.entity_id == lead_id,
                AuditEntry.action == "credit",
            )
        )
        assert entry.changes["override_reason"] == [None, reason]
        assert entry.actor == f"user:{cast.manager}"


def test_an_officers_override_reason_is_ignored(app, cast, world):
    with app.app_context():
        lead_id, _ = _lead(NOW - timedelta(days=30), owner_id=cast.officer)
    client = signed_in(app, cast.officer)
    response = post(
        client, world["referral"], "merge", match=str(lead_id), override_reason="Credit!" * 500
    )  # longer than a manager may write: not even checked
    assert response.status_code == 302
    with app.app_context():
        referral = load(world["referral"])
        assert (referral.decision, referral.decline_reason) == ("declined", "already_known")
        assert db.session.get(Lead, lead_id).referrer_enterprise_id is None
        assert not db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "credit")
        )


def test_officer_merges_only_into_leads_he_may_change(app, cast, world):
    with app.app_context():
        teammates, _ = _lead(NOW, owner_id=cast.teammate)
        other_teams, other_code = _lead(NOW, owner_id=cast.other_officer, company="Dupont SA")
    client = signed_in(app, cast.officer)
    response = post(client, world["referral"], "merge", lead_number=str(teammates))
    assert response.status_code == 422
    assert "only into a lead you may change" in response.get_data(as_text=True)
    # Another team's lead, by number or code name: as if it did not exist.
    for typed in (str(other_teams), other_code):
        response = post(client, world["referral"], "merge", lead_number=typed)
        assert response.status_code == 422
        assert f"There is no lead {typed}" in response.get_data(as_text=True)
    with app.app_context():
        assert load(world["referral"]).decision == "submitted"
        assert db.session.get(Lead, teammates).referrer_enterprise_id is None
        assert db.session.get(Lead, other_teams).referrer_enterprise_id is None
    for typed, message in (
        ("", "Choose a lead"),
        ("999999", "There is no lead 999999"),
        ("²", "There is no lead ²"),
        ("9" * 50, "There is no lead 999"),
    ):
        response = post(client, world["referral"], "merge", lead_number=typed)
        assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_merge_into_a_merged_away_lead_is_refused(app, cast, world):
    with app.app_context():
        lead_id, _ = _lead(NOW)
        survivor_id, _ = _lead(NOW, company="Other GmbH")
        db.session.get(Lead, lead_id).merged_into_id = survivor_id
        db.session.commit()
    response = post(
        signed_in(app, cast.manager), world["referral"], "merge", lead_number=str(lead_id)
    )
    assert response.status_code == 422
    assert "was merged into another lead" in response.get_data(as_text=True)


# -- declining, twice, stale, sharing ----------------------------------------------------------


def test_decline_requires_a_reason_and_tells_the_referrer(app, cast, world):
    client = signed_in(app, cast.officer)
    response = post(client, world["referral"], "decline", decline_message="Sorry")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose the reason why the referral is declined." in html and "Sorry" in html
    response = post(client, world["referral"], "decline", reason="nonsense")
    assert response.status_code == 422 and "Choose a reason from the list." in response.get_data(
        as_text=True
    )
    response = post(
        client, world["referral"], "decline", decline_message="x" * 1001, reason="other"
    )
    assert response.status_code == 422
    with app.app_context():
        assert load(world["referral"]).decision == "submitted" and not emails()
    response = post(
        client, world["referral"], "decline", reason="not_a_fit", decline_message="No land for this"
    )
    assert response.status_code == 302
    with app.app_context():
        referral = load(world["referral"])
        assert (referral.decision, referral.decline_reason) == ("declined", "not_a_fit")
        assert referral.decline_message == "No land for this"
        assert referral.decided_by_id == cast.officer
        assert len(emails()) == 1
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.entity_type == "Referral", AuditEntry.action == "decline"
            )
        )
        assert entry.changes["reason"] == [None, "not_a_fit"]
    html = page(client, world["referral"])
    assert (
        "No land for this" in html
        and f'action="/crm/referrals/{world["referral"]}/accept"' not in html
    )


def test_an_officer_who_accepts_a_referral_owns_the_new_lead(app, cast, world):
    client = signed_in(app, cast.officer)
    response = post(client, world["referral"], "accept")
    assert response.status_code == 302
    assert "/crm/leads/" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The referral was accepted" in html
    with app.app_context():
        lead = db.session.get(Referral, world["referral"]).lead
        assert lead.owner_id == cast.officer


def test_a_second_decision_is_refused(app, cast, world):
    client = signed_in(app, cast.manager)
    assert post(client, world["referral"], "decline", reason="unreachable").status_code == 302
    response = post(client, world["referral"], "accept")  # with the current version
    assert response.status_code == 422
    assert "already decided" in response.get_data(as_text=True)
    with app.app_context():
        assert load(world["referral"]).decision == "declined"
        assert db.session.scalar(select(func.count()).select_from(Lead)) == 0
        assert len(emails()) == 1


def test_a_stale_version_is_refused(app, cast, world):
    client = signed_in(app, cast.manager)
    with app.app_context():
        old = load(world["referral"]).version_id
        load(world["referral"]).share_amounts = True  # someone else changed it meanwhile
        db.session.commit()
    response = post(client, world["referral"], "accept", version=old)
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    with app.app_context():
        assert load(world["referral"]).decision == "submitted"


def test_share_toggle_is_audited(app, cast, world):
    client = signed_in(app, cast.officer)
    assert post(client, world["referral"], "share").status_code == 302
    with app.app_context():
        assert load(world["referral"]).share_amounts is True
    assert "Stop sharing the planned investment" in page(client, world["referral"])
    assert post(client, world["referral"], "share").status_code == 302
    with app.app_context():
        assert load(world["referral"]).share_amounts is False
        changes = [
            e.changes["share_amounts"]
            for e in db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "update").order_by(AuditEntry.id)
            )
        ]
        assert changes == [[False, True], [True, False]]


def test_leaders_and_bad_posts(app, cast, world):
    leader = signed_in(app, cast.leader)
    assert leader.get(f"/crm/referrals/{world['referral']}").status_code == 403
    client = signed_in(app, cast.manager)
    html = page(client, world["referral"])
    no_token = client.post(f"/crm/referrals/{world['referral']}/accept", data={"version": "1"})
    assert no_token.status_code == 400  # CSRF
    missing = client.post("/crm/referrals/424242/accept", data={"csrf_token": csrf_token(html)})
    assert missing.status_code == 404


# -- following the lead ------------------------------------------------------------------------


def _move(client, lead_id: int, stage: str):
    html = client.get(f"/crm/leads/{lead_id}/move").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    return client.post(
        f"/crm/leads/{lead_id}/move",
        data={"csrf_token": csrf_token(html), "version": version, "stage": stage},
    )


def test_moving_the_lead_reaches_the_referrer_once_per_milestone(app, cast, world):
    client = signed_in(app, cast.manager)
    assert post(client, world["referral"], "accept").status_code == 302
    with app.app_context():
        lead_id = load(world["referral"]).lead_id
    assert _move(client, lead_id, "site_visit").status_code == 302
    with app.app_context():
        referral = load(world["referral"])
        assert referral.progress == "site_visit"
        assert [u.status for u in referral.updates][-1] == "site_visit"
        assert len(emails()) == 2  # accepted, site visit
        assert emails()[-1].subject.endswith(translated(app, "Site visit", "de"))
    assert _move(client, lead_id, "contacted").status_code == 302  # a step back: no news
    assert _move(client, lead_id, "site_visit").status_code == 302  # already told
    with app.app_context():
        assert len(emails()) == 2
        assert load(world["referral"]).progress == "site_visit"


def test_merging_two_leads_keeps_the_earlier_leads_credit(app, cast, world):
    client = signed_in(app, cast.manager)
    assert post(client, world["referral"], "accept").status_code == 302
    with app.app_context():
        first_id = load(world["referral"]).lead_id
        lingnan = db.session.get(Enterprise, world["lingnan"])
        later = make_referral(
            lingnan, company="Schmidt Drives", email="info@schmidt-drives.example", at=NOW
        )
        db.session.commit()
        later_id = later.id
    assert post(client, later_id, "accept", different_company="y").status_code == 302
    with app.app_context():
        second_id = load(later_id).lead_id
        assert db.session.get(Lead, second_id).referrer_enterprise_id == world["lingnan"]
    # The later lead survives the merge; the credit is the earlier lead's.
    html = client.get(f"/crm/leads/{second_id}/merge/{first_id}").get_data(as_text=True)
    versions = dict(re.findall(r'name="(version|other_version)"[^>]*value="(\d+)"', html))
    response = client.post(
        f"/crm/leads/{second_id}/merge/{first_id}",
        data={"csrf_token": csrf_token(html), **versions},
    )
    assert response.status_code == 302
    with app.app_context():
        survivor = db.session.get(Lead, second_id)
        assert survivor.referrer_enterprise_id == world["tianfu"]
        assert load(later_id).decision == "declined"
        assert load(world["referral"]).decision == "accepted"


# -- one team's referrals are not another's ----------------------------------------------------

SECRETS = ("Rossi", "Giulia", "giulia@rossi.example", "Dubois", "Claire", "claire@dubois.example")


@pytest.fixture
def desks(app, cast, world):
    """Team A's referrals: one routed to it and waiting, one accepted into a lead of the team.
    The world's referral waits in the shared inbox."""
    with app.app_context():
        lingnan = db.session.get(Enterprise, world["lingnan"])
        routed = make_referral(
            lingnan, company="Rossi Meccanica S.r.l.", email="giulia@rossi.example",
            team_id=cast.team_a,
        )  # fmt: skip
        routed.contact_name = "Giulia Rossi"
        lead = make_lead(
            "Dubois Industrie SAS", owner=db.session.get(User, cast.officer),
            contact_name="Claire Dubois", email="claire@dubois.example",
        )  # fmt: skip
        accepted = make_referral(
            lingnan, company="Dubois Industrie SAS", email="claire@dubois.example",
            decision="accepted", decided_at=NOW, lead_id=lead.id, progress="accepted",
        )  # fmt: skip
        accepted.contact_name = "Claire Dubois"
        db.session.commit()
        return {"routed": routed.id, "accepted": accepted.id, "lead": lead.id}


def what_was(referral_id: int) -> tuple:
    referral = load(referral_id)
    return referral.version_id, referral.decision, referral.team_id, referral.share_amounts


def test_another_teams_referral_is_as_if_it_did_not_exist(app, cast, world, desks):
    with app.app_context():
        before = {key: what_was(desks[key]) for key in ("routed", "accepted")}
        leads_before = db.session.scalar(select(func.count()).select_from(Lead))
    other = signed_in(app, cast.other_officer)  # team B
    bodies = []
    for url in (
        "/crm/referrals",
        "/crm/referrals?decision=submitted",
        "/crm/referrals?decision=accepted",
        f"/crm/referrals?enterprise={world['lingnan']}",
        f"/crm/enterprises/{world['lingnan']}",
        "/crm/enterprises",
    ):
        response = other.get(url)
        assert response.status_code == 200, url
        bodies.append(response.get_data(as_text=True))
    assert "Schmidt Antriebstechnik" in bodies[0]  # the shared inbox is his too
    start = bodies[-1].index(f'href="/crm/enterprises/{world["lingnan"]}"')
    lingnan_row = bodies[-1][start : bodies[-1].index("</tr>", start)]
    assert re.findall(r'<td class="number">([^<]*)</td>', lingnan_row)[3] == "0"  # referrals
    token = csrf_token(page(other, world["referral"]))
    for key in ("routed", "accepted"):
        referral_id = desks[key]
        response = other.get(f"/crm/referrals/{referral_id}")
        assert response.status_code == 404
        bodies.append(response.get_data(as_text=True))
        for action, data in (
            ("accept", {"different_company": "y"}),
            ("merge", {"lead_number": str(desks["lead"])}),
            ("decline", {"reason": "not_a_fit"}),
            ("share", {}),
        ):
            version = str(before[key][0])
            response = other.post(
                f"/crm/referrals/{referral_id}/{action}",
                data={"csrf_token": token, "version": version, **data},
            )
            assert response.status_code == 404, (key, action)
            bodies.append(response.get_data(as_text=True))
        assert f'href="/crm/referrals/{referral_id}"' not in "".join(bodies)
    for body in bodies:
        assert not [secret for secret in SECRETS if secret in body]
    with app.app_context():
        assert {key: what_was(desks[key]) for key in ("routed", "accepted")} == before
        assert db.session.scalar(select(func.count()).select_from(Lead)) == leads_before
        assert not db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "Referral")
        ).all()
        assert not emails()
    # Team A sees both, on the queue, their pages and the enterprise's page.
    own = signed_in(app, cast.officer)
    queue = own.get("/crm/referrals").get_data(as_text=True)
    assert "Rossi Meccanica" in queue and "Dubois Industrie" in queue
    for key in ("routed", "accepted"):
        assert "@" in page(own, desks[key])
    firm = own.get(f"/crm/enterprises/{world['lingnan']}").get_data(as_text=True)
    assert f'href="/crm/referrals/{desks["routed"]}"' in firm


def test_an_officer_works_the_shared_inbox_and_his_teams_referrals(app, cast, world, desks):
    with app.app_context():
        lingnan = db.session.get(Enterprise, world["lingnan"])
        theirs = make_referral(lingnan, company="Nordic Pumps AB", email="o@pumps.example")
        theirs.team_id = cast.team_b
        db.session.commit()
        theirs_id = theirs.id
    other = signed_in(app, cast.other_officer)  # team B
    queue = other.get("/crm/referrals").get_data(as_text=True)
    assert "Nordic Pumps AB" in queue and "China desk" in queue and "Shared inbox" in queue
    assert "China desk" in page(other, theirs_id)
    response = post(other, theirs_id, "accept")
    assert response.status_code == 302
    with app.app_context():
        assert load(theirs_id).lead.owner_id == cast.other_officer
    # Deciding one from the shared inbox takes it to his team: team A no longer sees it.
    response = post(other, world["referral"], "decline", reason="not_a_fit")
    assert response.status_code == 302
    assert "does not fit the park" in page(other, world["referral"])
    with app.app_context():
        assert load(world["referral"]).team_id == cast.team_b
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "decline"))
        assert entry.changes["team"] == [None, cast.team_b]
    assert (
        signed_in(app, cast.officer).get(f"/crm/referrals/{world['referral']}").status_code == 404
    )
    assert (
        signed_in(app, cast.manager).get(f"/crm/referrals/{world['referral']}").status_code == 200
    )


def test_a_manager_routes_a_waiting_referral(app, cast, world):
    manager = signed_in(app, cast.manager)
    html = page(manager, world["referral"])
    assert 'action="/crm/referrals/{}/route"'.format(world["referral"]) in html
    assert f'<option value="{cast.team_b}">China desk</option>' in html
    assert 'name="team"' not in page(signed_in(app, cast.officer), world["referral"])
    response = post(manager, world["referral"], "route", team=str(cast.team_b))
    assert response.status_code == 302
    with app.app_context():
        assert load(world["referral"]).team_id == cast.team_b
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "route"))
        assert entry.changes == {"team": [None, cast.team_b]}
        assert entry.actor == f"user:{cast.manager}"
    assert (
        signed_in(app, cast.officer).get(f"/crm/referrals/{world['referral']}").status_code == 404
    )
    assert page(signed_in(app, cast.other_officer), world["referral"])
    for team, message in (
        (str(cast.team_b), "Nothing changed"),
        ("424242", "Choose a team or the shared inbox."),
        ("²", "Choose a team or the shared inbox."),
        ("", "Choose a team or the shared inbox."),
    ):
        response = post(manager, world["referral"], "route", team=team)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert post(manager, world["referral"], "route", team="shared").status_code == 302
    with app.app_context():
        assert load(world["referral"]).team_id is None
    assert post(manager, world["referral"], "decline", reason="other").status_code == 302
    response = post(manager, world["referral"], "route", team=str(cast.team_a))
    assert response.status_code == 422 and "already decided" in response.get_data(as_text=True)
    with app.app_context():
        assert load(world["referral"]).team_id is None
    officer = signed_in(app, cast.officer)
    token = csrf_token(officer.get("/crm/referrals").get_data(as_text=True))
    response = officer.post(
        f"/crm/referrals/{world['referral']}/route", data={"csrf_token": token, "team": "shared"}
    )
    assert response.status_code == 403  # routing is the managers'


def test_an_earlier_referral_with_another_team_holds_the_credit_unseen(app, cast, world, desks):
    with app.app_context():
        tianfu = db.session.get(Enterprise, world["tianfu"])
        later = make_referral(
            tianfu, company="Rossi Meccanica S.r.l.", email="info@rossi-later.example", at=NOW,
            team_id=cast.team_b,
        )  # fmt: skip
        db.session.commit()
        later_id = later.id
    other = signed_in(app, cast.other_officer)  # team B; the earlier one is team A's
    html = page(other, later_id)
    assert "An earlier referral of this company waits with another team" in html
    assert f'href="/crm/referrals/{desks["routed"]}"' not in html
    assert "Giulia" not in html and "giulia@rossi.example" not in html
    response = post(other, later_id, "accept")
    assert response.status_code == 422
    assert "An earlier referral of this company is still waiting" in response.get_data(as_text=True)
    with app.app_context():
        assert load(later_id).decision == "submitted"
    manager = page(signed_in(app, cast.manager), later_id)
    assert f'href="/crm/referrals/{desks["routed"]}"' in manager
    assert "waits with another team" not in manager
