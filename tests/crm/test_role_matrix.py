"""Every CRM route × method × role (anonymous included) against the rules table."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core import approvals, projects
from core.enterprises import new_referral_code
from core.extensions import db
from core.models import (
    ActionItem,
    Activity,
    Appointment,
    Enterprise,
    EnterpriseContact,
    Event,
    Meeting,
    Plot,
    ProjectIssue,
    Referral,
    User,
)
from core.models.base import utcnow
from crm.permissions import RULES, declared_permission, is_public
from tests.conftest import assert_security_headers
from tests.factories import make_cast, make_lead, sign_in_as

ROLES = ("admin", "manager", "officer", "leader")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "ROLES.md"


def crm_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("crm."):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def test_docs_table_matches_the_rules():
    rows = re.findall(
        r"^\| ([a-z_.]+) \| (yes|no) \| (yes|no) \| (yes|no) \| (yes|no) \|", DOCS.read_text(), re.M
    )
    documented = {
        perm: frozenset(role for role, flag in zip(ROLES, flags, strict=True) if flag == "yes")
        for perm, *flags in rows
    }
    assert documented == RULES


def test_every_crm_endpoint_declares_a_permission(app):
    undeclared = {
        rule.endpoint
        for rule, _ in crm_routes(app)
        if declared_permission(app.view_functions[rule.endpoint]) is None
        and not is_public(app.view_functions[rule.endpoint])
    }
    assert not undeclared, f"CRM views without @require: {sorted(undeclared)}"


@pytest.fixture
def world(app):
    """The cast, a lead owned by the officer with the leader as liaison, one task on it."""
    with app.app_context():
        cast = make_cast()
        officer = db.session.get(User, cast.officer)
        leader = db.session.get(User, cast.leader)
        lead = make_lead(owner=officer, liaison=leader)
        other = make_lead("成都天府精密机械有限公司", owner=officer, email="wang@tianfu.example")
        task = Activity(lead_id=lead.id, kind="task", subject="Call back", author_id=officer.id)
        db.session.add(task)
        today = date.today()
        event = Event(slug="eu-china-fair", name={"en": "Fair"}, starts_on=today, ends_on=today)
        db.session.add(event)
        firm = Enterprise(
            slug="wendel", name="文德尔", industry="auto-parts", year_entered=2020,
            referral_code=new_referral_code(),
        )  # fmt: skip
        contact = EnterpriseContact(enterprise=firm, name="K", email="k@wendel.example")
        referral = Referral(
            enterprise=firm, submitted_by=contact, company_name="Bianchi Idraulica S.p.A.",
            country="IT", industry="precision-machinery", contact_name="Luca Bianchi",
            contact_email="luca@bianchi.example", contact_language="en",
        )  # fmt: skip
        # Another team's referral, for the officer (team A) as if it did not exist.
        foreign = Referral(
            enterprise=firm, submitted_by=contact, company_name="Rossi Meccanica S.r.l.",
            country="IT", industry="precision-machinery", contact_name="Giulia Rossi",
            contact_email="giulia@rossi.example", contact_language="en", team_id=cast.team_b,
        )  # fmt: skip
        db.session.add_all([firm, contact, referral, foreign])
        # A signed project of the lead with something in every part of its file.
        lead.stage = "signed"
        project = projects.open_project(lead, officer)
        step = approvals.steps_of(project)[0]
        meeting = Meeting(project_id=project.id, held_on=today, title="Kick-off")
        meeting.actions.append(ActionItem(project_id=project.id, text="Send the plans"))
        issue = ProjectIssue(
            project_id=project.id, raised_on=today, description="Power", department="taxation"
        )
        plot = db.session.scalar(select(Plot).where(Plot.status == "available"))
        plot.status, plot.reserved_for_id, plot.reserved_until = "reserved", lead.id, today
        db.session.add_all([meeting, issue])
        visit = Appointment(
            lead_id=lead.id, kind="site_visit", title="Plot tour", uid="matrix@test",
            starts_at=utcnow() + timedelta(days=3), organiser_id=officer.id,
        )  # fmt: skip
        db.session.add(visit)
        db.session.commit()
        ids = {
            "project_id": project.id,
            "milestone_id": project.milestones[0].id,
            "step_id": step.id,
            "meeting_id": meeting.id,
            "action_id": meeting.actions[0].id,
            "issue_id": issue.id,
            "plot_id": plot.id,
            "enterprise_id": firm.id,
            "contact_id": contact.id,
            "referral_id": referral.id,
            "foreign_referral_id": foreign.id,
            "lead_id": lead.id,
            "other_id": other.id,
            "user_id": cast.officer,
            "activity_id": task.id,
            "event_id": event.id,
            "appointment_id": visit.id,
        }
        return cast, ids


def url_for_rule(rule, ids) -> str:
    def value(match):
        name = match.group(2)
        return str(ids.get(name, 1))

    return re.sub(r"<(?:([a-z]+):)?([a-z_]+)>", value, rule.rule)


def test_anonymous_is_sent_to_sign_in(app, client, world):
    _, ids = world
    app.config["WTF_CSRF_ENABLED"] = False  # test the gate itself, not the CSRF check before it
    for rule, method in crm_routes(app):
        if is_public(app.view_functions[rule.endpoint]):
            continue
        response = client.open(url_for_rule(rule, ids), method=method)
        assert response.status_code == 302, (rule.rule, method)
        assert response.headers["Location"].startswith("/crm/login")


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(app, world, role):
    """Denied roles get 403 from the gate; allowed roles never do (on objects in their scope)."""
    cast, ids = world
    app.config["WTF_CSRF_ENABLED"] = False
    user_id = cast.by_role()[role]
    failures = []
    for rule, method in crm_routes(app):
        if is_public(app.view_functions[rule.endpoint]):
            continue
        client = app.test_client()
        with app.app_context():
            sign_in_as(client, user_id)
        url = url_for_rule(rule, ids)
        response = client.open(url, method=method)
        assert_security_headers(response, url)
        permitted = role in RULES[declared_permission(app.view_functions[rule.endpoint])]
        if permitted and response.status_code == 403:
            failures.append(f"{method} {rule.rule}: allowed for {role} but 403")
        if not permitted and response.status_code != 403:
            failures.append(f"{method} {rule.rule}: denied for {role} but {response.status_code}")
        if response.status_code >= 500:
            failures.append(f"{method} {rule.rule}: {response.status_code} for {role}")
    assert not failures, "\n".join(failures)


def test_another_teams_referral_is_not_found_on_every_referral_route(app, world):
    """Every route on one referral, every method: the officer of team A meets team B's referral
    as one that does not exist, and nothing of it changes."""
    cast, ids = world
    app.config["WTF_CSRF_ENABLED"] = False
    foreign = {**ids, "referral_id": ids["foreign_referral_id"]}
    with app.app_context():
        before = db.session.get(Referral, foreign["referral_id"]).version_id
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, cast.officer)
    routes = [(r, m) for r, m in crm_routes(app) if "referral_id" in r.arguments]
    assert len(routes) >= 5  # the page and every action on it
    for rule, method in routes:
        if "officer" not in RULES[declared_permission(app.view_functions[rule.endpoint])]:
            continue  # refused by role first (403): the role matrix covers it
        response = client.open(url_for_rule(rule, foreign), method=method, data={"version": "1"})
        assert response.status_code == 404, (method, rule.rule)
        assert "Rossi" not in response.get_data(as_text=True)
        own = client.open(url_for_rule(rule, ids), method=method, data={"version": "1"})
        assert own.status_code not in (403, 404), (method, rule.rule)  # his own scope opens
    with app.app_context():
        referral = db.session.get(Referral, foreign["referral_id"])
        assert (referral.version_id, referral.decision) == (before, "submitted")
