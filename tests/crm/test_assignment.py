"""Ownership: manual assignment of owner and liaison (audited), and the automatic rules."""

import pytest
from sqlalchemy import select

from core import leads as lead_lifecycle
from core.extensions import db
from core.models import AssignmentRule, AuditEntry, Lead, User
from tests.conftest import csrf_token
from tests.factories import make_lead, make_user, sign_in_as


def assign(client, lead_id, version=None, **fields):
    token = csrf_token(client.get("/crm/board").get_data(as_text=True))
    if version is None:
        version = db.session.get(Lead, lead_id).version_id
    data = {"csrf_token": token, "version": version, "next": "/crm/board", **fields}
    return client.post(f"/crm/leads/{lead_id}/assign", data=data)


def audits(lead_id: int) -> list[AuditEntry]:
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity_id == lead_id).order_by(AuditEntry.id)
    ).all()


def test_manager_reassigns_owner_and_the_team_follows(app, client, cast):
    with app.app_context():
        lead = make_lead(owner=db.session.get(User, cast.officer))
        db.session.commit()
        sign_in_as(client, cast.manager)
        response = assign(client, lead.id, owner=cast.other_officer)
        assert response.status_code == 302
        db.session.expire_all()
        lead = db.session.get(Lead, lead.id)
        assert (lead.owner_id, lead.team_id) == (cast.other_officer, cast.team_b)
        [entry] = audits(lead.id)
        assert entry.action == "assign" and entry.actor == f"user:{cast.manager}"
        assert entry.changes == {
            "owner_id": [cast.officer, cast.other_officer],
            "team_id": [cast.team_a, cast.team_b],
        }
    assert "is now owned by zhao" in client.get("/crm/board").get_data(as_text=True)


def test_liaison_is_set_and_cleared_with_one_audit_entry_each(app, client, cast):
    with app.app_context():
        lead = make_lead(investment=800_000_000)
        db.session.commit()
        sign_in_as(client, cast.admin)
        assert assign(client, lead.id, liaison=cast.leader).status_code == 302
        db.session.expire_all()
        assert db.session.get(Lead, lead.id).liaison_id == cast.leader
        assert assign(client, lead.id, liaison="").status_code == 302
        db.session.expire_all()
        assert db.session.get(Lead, lead.id).liaison_id is None
        assert [e.changes for e in audits(lead.id)] == [
            {"liaison_id": [None, cast.leader]},
            {"liaison_id": [cast.leader, None]},
        ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"owner": "leader"}, "Choose an active officer as owner."),
        ({"owner": "abc"}, "Choose an active officer as owner."),
        ({"owner": "retired"}, "Choose an active officer as owner."),
        ({"liaison": "officer"}, "Choose an active county leader as liaison."),
        ({"owner": "officer"}, "already owns this lead"),
        ({}, "Choose an owner or a liaison."),
    ],
)
def test_bad_assignments_are_refused_with_a_message(app, client, cast, fields, message):
    with app.app_context():
        retired = make_user("officer", "old@bureau.example")
        retired.active = False
        lead = make_lead(owner=db.session.get(User, cast.officer))
        db.session.commit()
        ids = {"leader": cast.leader, "officer": cast.officer, "retired": retired.id}
        data = {key: ids.get(value, value) for key, value in fields.items()}
        sign_in_as(client, cast.manager)
        response = assign(client, lead.id, **data)
        assert response.status_code == 302
        assert audits(lead.id) == []
    assert message in client.get("/crm/board").get_data(as_text=True)


def test_stale_assignment_is_refused(app, client, cast):
    with app.app_context():
        lead = make_lead(owner=db.session.get(User, cast.officer))
        db.session.commit()
        stale = lead.version_id
        sign_in_as(client, cast.manager)
        assign(client, lead.id, owner=cast.teammate)
        assign(client, lead.id, version=stale, owner=cast.other_officer)
        db.session.expire_all()
        assert db.session.get(Lead, lead.id).owner_id == cast.teammate
        assert len(audits(lead.id)) == 1
    assert "Someone else changed this lead" in client.get("/crm/board").get_data(as_text=True)


@pytest.mark.parametrize(("role", "status"), [("officer", 403), ("leader", 403)])
def test_only_managers_and_admins_assign(app, client, cast, role, status):
    with app.app_context():
        lead = make_lead(owner=db.session.get(User, cast.officer))
        db.session.commit()
        sign_in_as(client, getattr(cast, role))
        token = csrf_token(client.get("/crm/account").get_data(as_text=True))
        response = client.post(
            f"/crm/leads/{lead.id}/assign",
            data={"csrf_token": token, "version": lead.version_id, "owner": cast.teammate},
        )
        assert response.status_code == status
        db.session.expire_all()
        assert db.session.get(Lead, lead.id).owner_id == cast.officer


def test_assigning_an_unknown_lead_is_not_found(app, client, cast):
    with app.app_context():
        sign_in_as(client, cast.manager)
        token = csrf_token(client.get("/crm/account").get_data(as_text=True))
    response = client.post("/crm/leads/424242/assign", data={"csrf_token": token, "owner": 1})
    assert response.status_code == 404


# Automatic assignment when a lead is created (core.leads.auto_assign).


def owners_of_new_leads(count: int, language: str = "de", industry: str = "machinery"):
    """Create leads as the public form does and return the owner each one was given."""
    owners = []
    for _ in range(count):
        lead = Lead(
            source="website",
            company_name=f"Company {language} {industry}",
            country="DE",
            industry=industry,
            language=language,
        )
        db.session.add(lead)
        lead_lifecycle.on_create(lead)
        db.session.flush()
        owners.append(lead.owner_id)
    return owners


def test_round_robin_within_a_team_skips_inactive_officers(app, cast):
    with app.app_context():
        db.session.add(AssignmentRule(kind="round_robin", team_id=cast.team_a))
        third = make_user("officer", "sun@bureau.example", db.session.get(User, cast.officer).team)
        away = make_user("officer", "ma@bureau.example", db.session.get(User, cast.officer).team)
        away.active = False
        db.session.commit()
        owners = owners_of_new_leads(4)
        assert owners == [cast.officer, cast.teammate, third.id, cast.officer]
        lead = db.session.scalars(select(Lead).order_by(Lead.id)).first()
        assert lead.team_id == cast.team_a


def test_language_rule_comes_before_the_team_rota(app, cast):
    with app.app_context():
        db.session.add_all(
            [
                AssignmentRule(position=1, kind="language", match="fr", user_id=cast.other_officer),
                AssignmentRule(position=2, kind="round_robin", team_id=cast.team_a),
            ]
        )
        db.session.commit()
        assert owners_of_new_leads(1, language="fr") == [cast.other_officer]
        german = owners_of_new_leads(1, language="de")
        assert german == [cast.officer]
        lead = db.session.scalars(select(Lead).where(Lead.language == "fr")).one()
        assert lead.team_id == cast.team_b


def test_industry_rule_picks_its_officer_and_others_go_round_the_team(app, cast):
    with app.app_context():
        db.session.add_all(
            [
                AssignmentRule(
                    position=1, kind="industry", match="chemicals", user_id=cast.teammate
                ),
                AssignmentRule(position=2, kind="round_robin", team_id=cast.team_b),
            ]
        )
        db.session.commit()
        assert owners_of_new_leads(2, industry="chemicals") == [cast.teammate, cast.teammate]
        assert owners_of_new_leads(1, industry="textiles") == [cast.other_officer]


def test_no_matching_or_active_rule_leaves_the_lead_unassigned(app, cast):
    with app.app_context():
        db.session.add_all(
            [
                AssignmentRule(kind="language", match="zh", user_id=cast.officer),
                AssignmentRule(kind="round_robin", team_id=cast.team_b, active=False),
            ]
        )
        db.session.commit()
        assert owners_of_new_leads(1, language="de") == [None]
