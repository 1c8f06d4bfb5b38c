"""Approval steps in a project's file: the table, adding and editing a step, the report."""

import html as html_lib
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from core import approvals, projects
from core.extensions import db
from core.models import ApprovalStep, AuditEntry, Project, User
from tests.conftest import csrf_token
from tests.factories import make_lead, signed_in, two_signed_projects
from tests.forms import sign

DEFAULT_STEPS = {
    "Investment project filing": "County Development and Reform Bureau",
    "Business registration (business licence)": "County Administration for Market Regulation",
    "Tax registration": "County Taxation Bureau",
    "Environmental impact assessment": "County Ecology and Environment Bureau",
    "Land acquisition and title registration": "County Natural Resources and Planning Bureau",
    "Construction planning permit": "County Natural Resources and Planning Bureau",
    "Construction permit": "County Housing and Urban-Rural Development Bureau",
}


@pytest.fixture
def world(app, cast):
    """Project A (lead of the officer's team A, the leader as liaison), project B (team B)."""
    with app.app_context():
        made = two_signed_projects(cast)
        ids = {}
        for key, project in made.items():
            ids[key] = project.id
            ids[f"{key}_steps"] = {s.kind: s.id for s in approvals.steps_of(project)}
        ids["code_b"] = made["b"].lead.code_name
        db.session.commit()
        return ids


@pytest.fixture
def frozen(monkeypatch):
    """Freeze the park's day (what the approval views and the report call "today")."""

    def freeze(day: date) -> date:
        monkeypatch.setattr(projects, "park_today", lambda: day)
        return day

    return freeze


def step(step_id: int) -> ApprovalStep:
    db.session.expire_all()
    return db.session.get(ApprovalStep, step_id)


def audit_count(action: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity_type == "ApprovalStep", AuditEntry.action == action)
    )


def text(fragment: str) -> str:
    """Visible text: tags dropped, entities decoded, white space collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def table_rows(page: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    return [
        [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def add(client, project_id: int, kind: str):
    page = client.get(f"/crm/projects/{project_id}").get_data(as_text=True)
    return client.post(
        f"/crm/projects/{project_id}/steps",
        data={"approval-csrf_token": csrf_token(page), "approval-kind": kind},
    )


def edit(client, project_id: int, step_id: int, version=None, **values):
    """Send the step's form as its page fills it, with some values changed."""
    url = f"/crm/projects/{project_id}/steps/{step_id}"
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page)}
    for name in ("submitted_on", "approved_on"):
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
        data[name] = found.group(1) if found else ""
    for name in ("status", "agent_id"):
        block = re.search(rf'name="{name}".*?</select>', page, re.S).group(0)
        chosen = re.search(r'<option selected value="([^"]*)"', block)
        data[name] = chosen.group(1) if chosen else ""
    data["notes"] = html_lib.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)[1])
    data["original"] = html_lib.unescape(
        re.search(r'name="original" type="hidden" value="([^"]*)"', page).group(1)
    )
    data["version"] = version or re.search(r'name="version" [^>]*value="(\d+)"', page).group(1)
    data.update(values)
    return client.post(url, data=data)


# -- the table on the project page -------------------------------------------------------------


def test_a_freshly_signed_project_lists_the_default_steps(app, cast):
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        lead_id = make_lead("Schmidt Antriebstechnik GmbH", owner=officer).id
        db.session.commit()
    client = signed_in(app, cast.manager)
    assert sign(client, lead_id).status_code == 302
    with app.app_context():
        project_id = db.session.scalar(select(Project.id).where(Project.lead_id == lead_id))
    page = client.get(f"/crm/projects/{project_id}").get_data(as_text=True)
    section = re.search(r'<section[^>]*id="approvals".*?</section>', page, re.S).group(0)
    for name, department in DEFAULT_STEPS.items():
        assert name in section and department in section
    assert "7 steps: 7 not started" in text(section)
    assert section.count(f'href="/crm/projects/{project_id}/steps/') == 7  # an edit link each
    # The add form offers only the kinds not yet in the file.
    offered = re.findall(r'<option value="([a-z-]+)"', section)
    assert offered == ["fire-design-review", "safety-assessment"]


def test_a_step_is_added_once(app, cast, world):
    client = signed_in(app, cast.officer)  # officers carry approvals on their team's projects
    response = add(client, world["a"], "fire-design-review")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/crm/projects/{world['a']}#approvals")
    with app.app_context():
        added = db.session.scalar(
            select(ApprovalStep).where(
                ApprovalStep.project_id == world["a"], ApprovalStep.kind == "fire-design-review"
            )
        )
        assert added.department == "housing-construction" and added.limit_days == 10
        assert added.agent_id == cast.officer  # the project's agent carries it
        assert audit_count("create") == 7 * 2 + 1
    page = client.get(f"/crm/projects/{world['a']}").get_data(as_text=True)
    assert "Fire protection design review" in page and "8 steps: 8 not started" in text(page)
    # Sent again (a page opened before): refused, the page again with the reason.
    response = client.post(
        f"/crm/projects/{world['a']}/steps",
        data={"approval-csrf_token": csrf_token(page), "approval-kind": "fire-design-review"},
    )
    assert response.status_code == 422
    assert "The file already has this step." in response.get_data(as_text=True)
    for kind, message in (("no-such-step", "Choose a step from the list."), ("", "Choose a step")):
        response = add(client, world["a"], kind)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        count = select(func.count()).where(ApprovalStep.project_id == world["a"])
        assert db.session.scalar(count.select_from(ApprovalStep)) == 8
        assert audit_count("create") == 7 * 2 + 1


# -- editing a step ----------------------------------------------------------------------------


def test_a_submission_sets_the_due_day_in_working_days_across_national_day(
    app, cast, world, frozen
):
    frozen(date(2026, 9, 30))
    client = signed_in(app, cast.manager)
    tax = world["a_steps"]["tax-registration"]  # 3 working days
    response = edit(
        client, world["a"], tax, status="submitted", submitted_on="2026-09-29",
        agent_id=str(cast.teammate), notes="Filed at the county hall, window 3.",
    )  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/crm/projects/{world['a']}#approvals")
    with app.app_context():
        saved = step(tax)
        # Tue 29 Sep + 3 working days: Wed 30 Sep, 1-7 October off, Thu 8, Fri 9 October.
        assert saved.due_on == date(2026, 10, 9)
        assert (saved.status, saved.submitted_on) == ("submitted", date(2026, 9, 29))
        assert saved.agent_id == cast.teammate and saved.notes.startswith("Filed")
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.entity_type == "ApprovalStep", AuditEntry.action == "update"
            )
        )
        assert entry.entity_id == tax and entry.actor == f"user:{cast.manager}"
        assert entry.changes["due_on"] == [None, "2026-10-09"]
        assert entry.changes["status"] == ["not_started", "submitted"]
    page = client.get(f"/crm/projects/{world['a']}").get_data(as_text=True)
    assert "Filed at the county hall, window 3." in page
    assert "7 steps: 1 submitted and 6 not started" in text(page)
    # The same values again: nothing to save, no audit entry.
    response = edit(client, world["a"], tax)
    assert response.status_code == 302
    with app.app_context():
        assert audit_count("update") == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"status": "submitted", "submitted_on": "2026-10-01"}, "The day cannot be in the future."),
        (
            {"status": "approved", "submitted_on": "2026-09-21", "approved_on": "2026-09-18"},
            "The approval cannot come before the submission.",
        ),
        (
            {"status": "approved", "submitted_on": "2026-09-21"},
            "Give the day the department approved it.",
        ),
        ({"status": "submitted"}, "Give the day the application was submitted."),
        ({"status": "lost"}, "Choose a status from the list."),
        ({"submitted_on": "29/09/2026"}, "Not a valid date value."),
        ({"notes": "x" * 2001}, "Use 2000 characters or fewer"),
        ({"agent_id": "999999"}, "Choose a person from the list."),
    ],
)
def test_refused_edits_write_nothing(app, cast, world, frozen, values, message):
    frozen(date(2026, 9, 30))
    client = signed_in(app, cast.manager)
    tax = world["a_steps"]["tax-registration"]
    with app.app_context():
        version = step(tax).version_id
    response = edit(client, world["a"], tax, **values)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in html_lib.unescape(page)
    assert 'id="error-summary"' in page
    with app.app_context():
        saved = step(tax)
        assert (saved.status, saved.submitted_on, saved.version_id) == (
            "not_started",
            None,
            version,
        )
        assert audit_count("update") == 0


def test_a_stale_edit_is_a_conflict_and_writes_nothing(app, cast, world):
    client = signed_in(app, cast.manager)
    tax = world["a_steps"]["tax-registration"]
    page = client.get(f"/crm/projects/{world['a']}/steps/{tax}").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    with app.app_context():  # someone else saves meanwhile
        step(tax).notes = "Their note"
        db.session.commit()
    response = edit(client, world["a"], tax, version=version, notes="My note")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "changed by someone else" in page and "Their note" in page and "My note" in page
    with app.app_context():
        assert step(tax).notes == "Their note" and audit_count("update") == 0


# -- overdue steps -----------------------------------------------------------------------------


def test_an_overdue_step_is_flagged_with_its_working_days_and_escalation(app, cast, world, frozen):
    tax = world["a_steps"]["tax-registration"]
    with app.app_context():
        row = step(tax)
        approvals.update(
            row, status="submitted", submitted_on=date(2026, 9, 29), approved_on=None,
            notes="", agent_id=cast.officer, today=date(2026, 9, 29),
        )  # fmt: skip
        row.escalation_level = 1
        db.session.commit()
    # Due Fri 9 Oct; Sat 10 Oct is a working day (the holiday's swap), then Mon 12 to Wed 14.
    frozen(date(2026, 10, 14))
    client = signed_in(app, cast.officer)
    page = client.get(f"/crm/projects/{world['a']}").get_data(as_text=True)
    section = re.search(r'<section[^>]*id="approvals".*?</section>', page, re.S).group(0)
    assert '<span class="flag-overdue">overdue by 4 working days</span>' in section
    assert "escalated to the park agent" in section
    assert "7 steps: 1 overdue and 6 not started" in text(section)
    # Due day itself is not overdue yet.
    frozen(date(2026, 10, 9))
    page = client.get(f"/crm/projects/{world['a']}").get_data(as_text=True)
    assert "flag-overdue" not in re.search(r'id="approvals".*?</section>', page, re.S).group(0)


# -- who may do what ---------------------------------------------------------------------------


def test_scope_officers_outside_404_leaders_read_only(app, cast, world):
    tax_a, tax_b = world["a_steps"]["tax-registration"], world["b_steps"]["tax-registration"]
    other = signed_in(app, cast.other_officer)  # team B: project A does not exist for them
    assert other.get(f"/crm/projects/{world['a']}/steps/{tax_a}").status_code == 404
    page = other.get(f"/crm/projects/{world['b']}").get_data(as_text=True)
    token = csrf_token(page)
    for url, data in (
        (f"/crm/projects/{world['a']}/steps", {"approval-kind": "fire-design-review"}),
        (f"/crm/projects/{world['a']}/steps/{tax_a}", {"status": "not_started"}),
    ):
        assert other.post(url, data={"csrf_token": token, **data}).status_code == 404
    officer = signed_in(app, cast.officer)
    assert officer.get(f"/crm/projects/{world['a']}/steps/{tax_a}").status_code == 200
    # A step of another project, or an id beyond the column, is not found under this project.
    assert officer.get(f"/crm/projects/{world['a']}/steps/{tax_b}").status_code == 404
    assert officer.get(f"/crm/projects/{world['a']}/steps/{2**31}").status_code == 404
    assert officer.get(f"/crm/projects/{world['b']}/steps/{tax_b}").status_code == 404

    leader = signed_in(app, cast.leader)
    page = leader.get(f"/crm/projects/{world['a']}").get_data(as_text=True)
    section = re.search(r'<section[^>]*id="approvals".*?</section>', page, re.S).group(0)
    assert "Tax registration" in section and "7 steps: 7 not started" in text(section)
    assert "/steps" not in section and "<form" not in section  # no edit link, no add form
    token = csrf_token(page)
    assert leader.get(f"/crm/projects/{world['a']}/steps/{tax_a}").status_code == 403
    for url, data in (
        (f"/crm/projects/{world['a']}/steps", {"approval-kind": "fire-design-review"}),
        (f"/crm/projects/{world['a']}/steps/{tax_a}", {"status": "submitted"}),
    ):
        assert leader.post(url, data={"csrf_token": token, **data}).status_code == 403
    with app.app_context():
        assert audit_count("update") == 0 and audit_count("create") == 14


# -- the department report ---------------------------------------------------------------------


def _record(step_id, submitted, approved=None, today=date(2026, 11, 12)):
    row = step(step_id)
    approvals.update(
        row, status="approved" if approved else "submitted", submitted_on=submitted,
        approved_on=approved, notes="", agent_id=row.agent_id, today=today,
    )  # fmt: skip
    db.session.flush()  # step() expires the session: unflushed changes would be lost


@pytest.fixture
def report_world(app, world):
    """Taxation approves on time; market regulation once late and once overdue now."""
    with app.app_context():
        a, b = world["a_steps"], world["b_steps"]
        # Mon 2 March + 3 working days: due Thu 5 March; approved Wed 4 (2 working days).
        _record(a["tax-registration"], date(2026, 3, 2), date(2026, 3, 4))
        # Approved Tue 10 March: 6 working days, after its due day.
        _record(a["business-registration"], date(2026, 3, 2), date(2026, 3, 10))
        # Mon 2 November: due Thu 5 November, still waiting on Thu 12: 5 working days overdue.
        _record(b["business-registration"], date(2026, 11, 2))
        # Submitted the year before: not in 2026's figures.
        _record(b["tax-registration"], date(2025, 12, 1), date(2025, 12, 2))
        db.session.commit()
    return world


def test_department_report_figures(app, cast, report_world, frozen):
    frozen(date(2026, 11, 12))
    client = signed_in(app, cast.manager)
    page = client.get("/crm/projects").get_data(as_text=True)
    assert 'href="/crm/projects/departments"' in page
    response = client.get("/crm/projects/departments?year=2026")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = table_rows(page, "departments")
    assert rows[1:] == [
        ["County Administration for Market Regulation", "2", "1", "6.0", "0", "0%", "1"],
        ["County Taxation Bureau", "1", "1", "2.0", "1", "100%", "0"],
        ["Total", "3", "2", "4.0", "1", "50%", "1"],
    ]
    overdue = table_rows(page, "overdue-steps")
    assert overdue[1:] == [
        [
            "Bianchi Idraulica S.p.A.",
            "Business registration (business licence)",
            "County Administration for Market Regulation",
            "li",
            "5 Nov 2026",
            "5",
        ]
    ]
    assert f'href="/crm/projects/{report_world["b"]}#approvals"' in page
    # The year before holds only the step submitted then; no year in the URL means this year.
    rows = table_rows(
        client.get("/crm/projects/departments?year=2025").get_data(as_text=True), "departments"
    )
    assert rows[1:] == [
        ["County Taxation Bureau", "1", "1", "1.0", "1", "100%", "0"],
        ["Total", "1", "1", "1.0", "1", "100%", "0"],
    ]
    default = client.get("/crm/projects/departments").get_data(as_text=True)
    assert table_rows(default, "departments") == table_rows(page, "departments")
    response = client.get("/crm/projects/departments?year=20x6")
    assert response.status_code == 400
    assert "Choose a year from the list." in response.get_data(as_text=True)


def test_department_report_for_leaders_names_others_projects_unless_confidential(
    app, cast, report_world, frozen
):
    frozen(date(2026, 11, 12))
    leader = signed_in(app, cast.leader)
    assert 'href="/crm/projects/departments"' in leader.get("/crm/projects").get_data(as_text=True)
    page = leader.get("/crm/projects/departments?year=2026").get_data(as_text=True)
    overdue = table_rows(page, "overdue-steps")
    assert overdue[1][0] == "Bianchi Idraulica S.p.A."  # by name, though not their project
    assert f'href="/crm/projects/{report_world["b"]}' not in page  # but no link out of scope
    with app.app_context():
        db.session.get(Project, report_world["b"]).lead.confidential = True
        db.session.commit()
    page = leader.get("/crm/projects/departments?year=2026").get_data(as_text=True)
    assert table_rows(page, "overdue-steps")[1][0] == report_world["code_b"]
    assert "Bianchi" not in page  # confidential to them: its code name
    officer = signed_in(app, cast.officer)
    assert officer.get("/crm/projects/departments").status_code == 403
    assert 'href="/crm/projects/departments"' not in officer.get("/crm/projects").get_data(
        as_text=True
    )
