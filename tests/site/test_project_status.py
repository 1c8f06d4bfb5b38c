"""The investor's status page: no internal data, four languages, never cached; the CRM's link."""

import html as html_module
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale, ngettext
from sqlalchemy import select

from core import approvals, projects
from core.extensions import db
from core.i18n import date as date_text
from core.i18n import money
from core.models import AuditEntry, Contact, Lead, OutboxEmail, Plot, Project, User
from core.models.base import utcnow
from core.projects import park_today
from tests.conftest import csrf_token, translated
from tests.factories import english_cast, make_lead, signed_in

LANGS = ("zh", "en", "de", "fr")
NOTES = "Internal: the department head wants the fire plan redone first"
AGENT = "Wilhelmina Probst-Agentin"
LIAISON = "Leader Zhang Sanfeng"
CONTACT = "Anna Müller"
INVESTMENT = Decimal(123_456_789)
REFERENCE = "PERMIT-QY-2026-0042"


@pytest.fixture
def cast(app):
    with app.app_context():
        return english_cast()


@pytest.fixture
def world(app, cast):
    """A German lead, signed: a plot, construction proven by a reference, three steps handled
    (one approved, one late with notes and an escalation, one returned) and the rest untouched."""
    today = park_today()
    with app.app_context():
        manager = db.session.get(User, cast.manager)
        leader = db.session.get(User, cast.leader)
        leader.name = LIAISON
        agent = db.session.get(User, cast.officer)
        agent.name = AGENT
        lead = make_lead("Müller Präzisionstechnik GmbH", liaison=leader, contact_name=CONTACT)
        lead.stage = "signed"
        project = projects.open_project(lead, manager)
        project.investment = INVESTMENT
        project.capital_arrived = INVESTMENT
        project.agent_id = agent.id
        project.construction_deadline = today + timedelta(days=40)
        project.production_deadline = today + timedelta(days=400)
        plot = db.session.scalar(select(Plot).where(Plot.status == "available").order_by(Plot.code))
        projects.allocate(project, [plot])
        projects.reach(
            project, "construction", today, manager, evidence_kind="reference", reference=REFERENCE
        )
        steps = approvals.steps_of(project)
        assert len(steps) >= 3
        approved, late, returned = steps[:3]
        approvals.update(
            approved, status="approved", submitted_on=today - timedelta(days=30),
            approved_on=today - timedelta(days=10), notes=NOTES, agent_id=agent.id, today=today,
        )  # fmt: skip
        approvals.update(
            late, status="submitted", submitted_on=today - timedelta(days=90),
            approved_on=None, notes=NOTES, agent_id=agent.id, today=today,
        )  # fmt: skip
        approvals.update(
            returned, status="returned", submitted_on=today - timedelta(days=5),
            approved_on=None, notes=NOTES, agent_id=agent.id, today=today,
        )  # fmt: skip
        late.escalation_level = 2
        db.session.commit()
        return {
            "project": project.id,
            "lead": lead.id,
            "token": project.status_token,
            "plot": plot.code,
            "kinds": [s.kind for s in steps],
            "departments": sorted({s.department for s in steps}),
            "late_kind": late.kind,
        }


def page_text(response) -> str:
    return html_module.unescape(response.get_data(as_text=True))


def crm_csrf(client) -> str:
    # From the projects list (the sign-out form): the POSTs need no more than a valid token.
    return csrf_token(client.get("/crm/projects").get_data(as_text=True))


def post(client, project_id: int, action: str):
    return client.post(
        f"/crm/projects/{project_id}/status-link/{action}", data={"csrf_token": crm_csrf(client)}
    )


# -- the public page -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_page_shows_the_project_in_each_language(app, client, world, lang):
    response = client.get(f"/{lang}/project-status/{world['token']}")
    assert response.status_code == 200
    text = page_text(response)
    assert f'<html lang="{ {"zh": "zh-Hans"}.get(lang, lang) }">' in text
    assert "Müller Präzisionstechnik GmbH" in text
    assert world["plot"] in text
    with app.app_context():
        for kind in world["kinds"]:
            assert approvals.step_name(kind, lang) in text, kind
        for code in world["departments"]:
            assert approvals.department_name(code, lang) in text, code
    for message in (
        "The park's agent carries every approval for you.",
        "Under construction",
        "In production",
        "not reached yet",
        "Approved",
        "Returned for changes",
        "Not started",
    ):
        assert translated(app, message, lang) in text, message
    assert "+86 28 5555 0100" in text and "invest@qingyuan-port.example" in text
    # Step names differ between languages: the page is really in the language of its address.
    if lang != "en":
        with app.app_context():
            assert approvals.step_name(world["kinds"][0], "en") not in text


def test_page_shows_days_deadlines_and_the_late_step(app, client, world):
    text = page_text(client.get(f"/en/project-status/{world['token']}"))
    today = park_today()
    with app.test_request_context("/en/"), force_locale("en"):
        assert date_text(today) in text  # signed and construction reached today
        assert date_text(today + timedelta(days=40)) in text
        with app.app_context():
            late = db.session.scalar(
                select(approvals.ApprovalStep).where(
                    approvals.ApprovalStep.kind == world["late_kind"],
                    approvals.ApprovalStep.project_id == world["project"],
                )
            )
            days = approvals.days_overdue(late, today)
        assert days > 0
        assert (
            ngettext(
                "late: %(num)d working day past the due day",
                "late: %(num)d working days past the due day",
                days,
            )
            in text
        )
    assert "reached in time" in text and "400 days left" in text  # construction began today


@pytest.mark.parametrize("lang", LANGS)
def test_page_shows_nothing_internal(app, client, world, lang):
    text = page_text(client.get(f"/{lang}/project-status/{world['token']}"))
    for secret in (NOTES, AGENT, LIAISON, REFERENCE, CONTACT, "anna@mueller.example"):
        assert secret not in text, secret
    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        assert money(INVESTMENT) not in text
    assert not re.search(r"123\D{0,2}456\D{0,2}789", text)
    # Nothing about escalation either (the late step escalated to level 2).
    assert "escalat" not in text.lower()


def test_unknown_or_malformed_token_is_a_404_in_the_language(app, client, world):
    for path in (
        "/de/project-status/" + "A" * 24,
        "/de/project-status/short",
        "/de/project-status/" + "x" * 40,
        "/de/project-status/not%20a%20token!",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert translated(app, "Page not found", "de") in page_text(response)
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Robots-Tag"] == "noindex"
    assert client.get(f"/xx/project-status/{world['token']}").status_code == 404


def test_an_erased_lead_has_no_status_page(app, client, world):
    with app.app_context():
        db.session.get(Lead, world["lead"]).anonymised_at = utcnow()
        db.session.commit()
    assert client.get(f"/en/project-status/{world['token']}").status_code == 404


def test_page_is_never_cached_nor_indexed(app, client, world):
    url = f"/en/project-status/{world['token']}"
    response = client.get(url)
    waiting = page_text(response).count(">Not started<")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert "ETag" not in response.headers
    assert '<meta name="robots" content="noindex">' in response.get_data(as_text=True)
    assert app.config["PAGE_CACHE_SECONDS"]  # the page cache is on for the other pages
    assert not [k for k in app.extensions["page_cache"]._items if "project-status" in str(k)]
    # A change shows on the very next visit, with no cached copy in between.
    with app.app_context():
        step = approvals.steps_of(db.session.get(Project, world["project"]))[-1]
        today = park_today()
        approvals.update(
            step, status="approved", submitted_on=today, approved_on=today, notes="",
            agent_id=None, today=today,
        )  # fmt: skip
        db.session.commit()
    assert page_text(client.get(url)).count(">Not started<") == waiting - 1
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert "project-status" not in sitemap


def test_language_switcher_and_alternates_keep_the_address(client, world):
    text = page_text(client.get(f"/fr/project-status/{world['token']}"))
    for lang in LANGS:
        assert f'href="/{lang}/project-status/{world["token"]}?set_lang=1"' in text  # switcher
        tag = {"zh": "zh-Hans"}.get(lang, lang)
        assert re.search(rf'hreflang="{tag}" href="http[^"]+/{lang}/project-status/', text)
    assert re.search(rf'rel="canonical" href="[^"]*/fr/project-status/{world["token"]}"', text)


# -- the CRM: the address, sending it, a new one ----------------------------------------------


def test_manager_sees_the_address_in_the_leads_language(client, app, cast, world):
    manager = signed_in(app, cast.manager)
    text = page_text(manager.get(f"/crm/projects/{world['project']}"))
    assert f"/de/project-status/{world['token']}" in text  # the lead speaks German
    assert re.search(rf'value="https?://[^"]+/de/project-status/{world["token"]}"', text)
    assert "Send the link to the investor" in text and "Issue a new address" in text
    # Who the email goes to, the language named in the manager's.
    assert "The email goes to Anna Müller (anna@mueller.example), in German." in text


@pytest.mark.parametrize("role", ("officer", "leader"))
def test_others_see_no_address(app, cast, world, role):
    with app.app_context():
        lead = db.session.get(Project, world["project"]).lead
        lead.owner_id = cast.officer  # in the officer's scope (the leader is liaison already)
        db.session.commit()
    client = signed_in(app, getattr(cast, role))
    response = client.get(f"/crm/projects/{world['project']}")
    assert response.status_code == 200
    assert world["token"] not in response.get_data(as_text=True)


def test_send_emails_the_first_contact_with_an_address_in_the_leads_language(app, cast, world):
    with app.app_context():
        project = db.session.get(Project, world["project"])
        lead = project.lead
        lead.contacts[0].email = None  # the first contact has no address: the next one gets it
        lead.contacts.append(
            Contact(name="Jonas Weber", email="j.weber@mueller.example", language="en")
        )
        db.session.commit()
    manager = signed_in(app, cast.manager)
    response = post(manager, world["project"], "send")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/crm/projects/{world['project']}#status-link-title"
    )
    with app.app_context():
        emails = db.session.scalars(select(OutboxEmail)).all()
        assert len(emails) == 1
        email = emails[0]
        assert email.to_address == "j.weber@mueller.example"
        assert email.kind == "project_status_link" and email.language == "de"
        assert email.lead_id == world["lead"]
        park = "Industriehafen Qingyuan"
        assert email.subject == translated(
            app, "How your project in %(park)s is going", "de", park=park
        )
        assert re.search(rf"https?://\S+/de/project-status/{world['token']}\n", email.body_text)
        assert translated(app, "Hello %(name)s,", "de", name="Jonas Weber") in email.body_text
        assert NOTES not in email.body_text and AGENT not in email.body_text
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "send_status_link"))
        assert entry.entity_type == "Project" and entry.entity_id == world["project"]
        assert entry.changes["to"] == [None, "j.weber@mueller.example"]
        assert entry.actor == f"user:{cast.manager}"
    flashed = page_text(manager.get(f"/crm/projects/{world['project']}"))
    assert "The status page's address was sent to j.weber@mueller.example." in flashed


def test_send_without_any_address_sends_nothing(app, cast, world):
    with app.app_context():
        db.session.get(Project, world["project"]).lead.contacts[0].email = None
        db.session.commit()
    manager = signed_in(app, cast.manager)
    text = page_text(manager.get(f"/crm/projects/{world['project']}"))
    assert "Send the link to the investor" not in text  # no button to press
    response = post(manager, world["project"], "send")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(OutboxEmail)).all() == []
        assert (
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "send_status_link")
            ).all()
            == []
        )
    assert "Nothing was sent" in page_text(manager.get(f"/crm/projects/{world['project']}"))


def test_renew_kills_the_old_address(app, client, cast, world):
    old = world["token"]
    assert client.get(f"/en/project-status/{old}").status_code == 200
    with app.app_context():
        version = db.session.get(Project, world["project"]).version_id
    manager = signed_in(app, cast.manager)
    response = post(manager, world["project"], "renew")
    assert response.status_code == 303
    with app.app_context():
        project = db.session.get(Project, world["project"])
        new = project.status_token
        # Not a field of the project form: forms open elsewhere do not turn stale.
        assert project.version_id == version
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "renew_status_link")
        )
        assert entry.entity_id == world["project"]
        assert entry.changes["status_token"] == [old[:4] + "…", new[:4] + "…"]
        assert old not in str(entry.changes) and new not in str(entry.changes)
    assert new != old
    assert client.get(f"/en/project-status/{old}").status_code == 404
    assert client.get(f"/en/project-status/{new}").status_code == 200
    text = page_text(manager.get(f"/crm/projects/{world['project']}"))
    assert f"/de/project-status/{new}" in text and old not in text


def test_renew_of_an_address_renewed_meanwhile_changes_nothing(app, cast, world, monkeypatch):
    import crm.projects.status_link as status_link

    manager = signed_in(app, cast.manager)
    token = crm_csrf(manager)
    real = status_link.new_status_token

    def renewed_elsewhere():
        # Another manager's renewal lands between this request's read and its write.
        with db.engine.begin() as connection:
            connection.execute(
                Project.__table__.update()
                .where(Project.__table__.c.id == world["project"])
                .values(status_token="elsewhere-renewed-0000")
            )
        return real()

    monkeypatch.setattr(status_link, "new_status_token", renewed_elsewhere)
    response = manager.post(
        f"/crm/projects/{world['project']}/status-link/renew",
        data={"csrf_token": token},
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Project, world["project"]).status_token == "elsewhere-renewed-0000"
        assert not db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "renew_status_link")
        ).all()


@pytest.mark.parametrize("role", ("officer", "leader"))
def test_only_project_editors_may_send_or_renew(app, cast, world, role):
    with app.app_context():
        db.session.get(Project, world["project"]).lead.owner_id = cast.officer
        db.session.commit()
    client = signed_in(app, getattr(cast, role))
    token = crm_csrf(client)
    for action in ("send", "renew"):
        response = client.post(
            f"/crm/projects/{world['project']}/status-link/{action}",
            data={"csrf_token": token},
        )
        assert response.status_code == 403, action
    with app.app_context():
        assert db.session.get(Project, world["project"]).status_token == world["token"]
        assert db.session.scalars(select(OutboxEmail)).all() == []


def test_posts_need_csrf_and_an_existing_project(app, cast, world):
    manager = signed_in(app, cast.manager)
    for action in ("send", "renew"):
        assert (
            manager.post(f"/crm/projects/{world['project']}/status-link/{action}").status_code
            == 400
        )
        token = {"csrf_token": crm_csrf(manager)}
        for project_id in (world["project"] + 1000, 2**31):
            url = f"/crm/projects/{project_id}/status-link/{action}"
            assert manager.post(url, data=token).status_code == 404
    with app.app_context():
        assert db.session.get(Project, world["project"]).status_token == world["token"]
