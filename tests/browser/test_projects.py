"""Projects in a real browser: a signed lead's file end to end, axe-core on every project page."""

import re
from decimal import Decimal

import pytest

from tests.browser.conftest import enter_signed_in, set_staff_language

pytestmark = pytest.mark.browser


@pytest.fixture
def signed(live_server):
    """A cast of staff and a lead of the officer, signed: its project has the default steps."""
    from core import approvals, projects
    from core.cli import load_plots
    from core.extensions import db
    from core.models import ActionItem, Meeting, ProjectIssue, User
    from tests.conftest import reset_database
    from tests.factories import make_cast, make_lead

    with live_server.app.test_request_context():
        reset_database()
        load_plots()
        cast = make_cast()
        officer = db.session.get(User, cast.officer)
        leader = db.session.get(User, cast.leader)
        lead = make_lead(owner=officer, liaison=leader, investment=200_000_000)
        lead.stage, lead.planned_investment = "signed", Decimal(200_000_000)
        project = projects.open_project(lead, officer)
        project.policy_version = "2026-1"  # opened as a load: the signing's policy by hand
        project.agent_id = officer.id
        for step in approvals.steps_of(project):
            step.agent_id = officer.id
        today = projects.park_today()
        meeting = Meeting(project_id=project.id, held_on=today, title="Kick-off meeting")
        meeting.actions.append(ActionItem(project_id=project.id, text="Send the plans"))
        issue = ProjectIssue(
            project_id=project.id, raised_on=today, description="Power line", department="taxation"
        )
        db.session.add_all([meeting, issue])
        db.session.commit()
        ids = {
            "project": project.id,
            "lead": lead.id,
            "step": approvals.steps_of(project)[0].id,
            "meeting": meeting.id,
            "issue": issue.id,
            "secret": db.session.get(User, cast.manager).totp_secret,
        }
        db.session.remove()
    return live_server, cast, ids


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_project_pages_have_no_accessibility_violations(new_page, signed, axe, lang):
    server, cast, ids = signed
    set_staff_language(server.app, [cast.manager, cast.leader], lang)

    def t(msgid, **kw):
        return server.translate(lang, msgid, **kw)

    page = new_page(locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    enter_signed_in(page, server, "manager@bureau.example")
    project = f"/crm/projects/{ids['project']}"
    for path in (
        "/crm/projects",
        project,
        f"{project}/edit",
        f"{project}/steps/{ids['step']}",
        f"{project}/meetings/new",
        f"{project}/meetings/{ids['meeting']}",
        f"{project}/issues/new",
        f"{project}/issues/{ids['issue']}",
        "/crm/projects/departments",
        f"/crm/leads/{ids['lead']}",
    ):
        page.goto(path)
        axe(page, f"{path} ({lang})")
    # A form sent back with its errors.
    page.goto(f"{project}/meetings/new")
    page.locator("main form button[type=submit]").last.click()
    page.locator(".error-summary").first.wait_for()
    axe(page, f"meeting with errors ({lang})")
    # The liaison leader's read-only view.
    leader = new_page(locale="zh-CN" if lang == "zh" else "en-GB")
    leader.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    enter_signed_in(leader, server, "chen@bureau.example")
    leader.goto(project)
    axe(leader, f"project as the liaison leader ({lang})")
    assert not leader.locator(f"form[action='{project}/edit']").count()


def test_signed_project_escalates_and_starts_construction(new_page, signed, mailbox):  # noqa: F811
    """Allocate a plot, record approvals with one overdue, the escalation email arrives, start
    construction with evidence: the plot is allocated on the public site, the dashboard moves."""
    from core import approvals, projects
    from core.extensions import db
    from core.models import ApprovalStep

    server, cast, ids = signed
    set_staff_language(server.app, [cast.manager], "en")

    def t(msgid, **kw):
        return server.translate("en", msgid, **kw)

    page = new_page()
    page.context.add_cookies([{"name": "staff_lang", "value": "en", "url": server.url + "/crm"}])
    enter_signed_in(page, server, "manager@bureau.example")
    project = f"/crm/projects/{ids['project']}"

    # Allocate plot N-02.
    page.goto(f"{project}/edit")
    page.get_by_label(re.compile("^N-02")).check()
    page.locator("main form button[type=submit]").last.click()
    page.get_by_role("status").first.wait_for()
    assert "Allocated" in page.context.new_page().goto(server.url + "/en/land/N-02").text()

    # Record an approval submitted long ago: overdue.
    page.goto(f"{project}/steps/{ids['step']}")
    page.get_by_label(t("Status")).select_option("submitted")
    page.get_by_label(t("Submitted on")).fill("2026-09-29")
    page.locator("main form button[type=submit]").last.click()
    page.get_by_role("status").first.wait_for()
    page.get_by_text(re.compile(t("overdue").split()[0], re.I)).first.wait_for()

    # The cron escalates it: the agent (the officer) gets the email.
    with server.app.test_request_context():
        done = approvals.escalate(projects.park_today())
        db.session.commit()
        from core import outbox

        outbox.send_due(limit=10)
        assert [e.step.id for e in done] == [ids["step"]]
        assert db.session.get(ApprovalStep, ids["step"]).escalation_level >= 1
        db.session.remove()
    for _ in range(50):
        if any("li@bureau.example" in m.rcpt_tos for m in mailbox.received):
            break
        page.wait_for_timeout(100)
    overdue = [m for m in mailbox.received if "li@bureau.example" in m.rcpt_tos]
    assert overdue, "no escalation email"

    def construction_actual() -> int:
        page.goto("/crm/dashboard")
        return int(page.locator("tr[data-measure=construction] td").nth(1).inner_text())

    before = construction_actual()

    # Start construction with a reference as evidence.
    page.goto(project)
    form = page.locator("form[action$='/stage']")
    form.locator("select[name=stage]").select_option("construction")
    form.locator("input[name=reached_on]").fill(projects.park_today().isoformat())
    form.locator("input[value=reference]").check()
    form.locator("input[name=reference]").fill("510129202611300101")
    form.locator("button[type=submit]").click()
    page.get_by_role("status").first.wait_for()
    assert t("Under construction") in page.locator("main").inner_text()
    # The dashboard counts it: a stage with its proof.
    assert construction_actual() == before + 1
