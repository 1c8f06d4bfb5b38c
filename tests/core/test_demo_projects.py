"""The demo year `make run` loads: about 90 projects once, their stages and files in order, and a
dashboard and a department report with something to say."""

import re

from sqlalchemy import func, select

from core import targets
from core.content import get_content
from core.extensions import db
from core.models import (
    PROJECT_STAGES,
    ActionItem,
    ApprovalStep,
    DuplicateCandidate,
    Lead,
    Meeting,
    Plot,
    Project,
    ProjectIssue,
    StageChange,
)
from core.workdays import CHINA, add_working_days
from tests.conftest import DEMO_TODAY as TODAY


def test_load_demo_makes_the_year_once_with_targets_partly_reached(app, demo):
    created = int(re.search(r"demo projects: (\d+) created", demo).group(1))
    assert 80 <= created <= 100
    assert "demo projects: 0 created" in app.test_cli_runner().invoke(args=["load-demo"]).output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Project)) == created + 1
        goals = targets.targets_for(2026)
        signed = sum(targets.signed_by_month(2026)[0])
        reached = {stage: sum(n) for stage, n in targets.reached_by_month(2026).items()}
        assert 75 <= signed <= 95 and 45 <= reached["construction"] <= 70
        assert 12 <= reached["production"] <= 30
        assert (
            signed < goals.figures["signed"] and reached["production"] < goals.figures["production"]
        )
        # A few signings lack their agreement on file: the dashboard does not count them.
        unproven = [
            p for p in db.session.scalars(select(Project)) if not p.milestone("signed").proven
        ]
        assert 3 <= len(unproven) <= 5
        half_billion, billion = targets.major_projects(2026).values()
        assert len(half_billion) >= 5 and len(billion) >= 2
        zones = {z.zone: z for z in targets.zone_deadlines(2026)}
        assert zones["south"].met is False and zones["south"].started > 0
        assert zones["north"].met is True and zones["south"].signed < zones["north"].signed
        risks = targets.at_risk(TODAY)
        assert any(r.days_left is not None and 0 <= r.days_left <= 30 for r in risks)
        assert any(r.overdue_steps for r in risks)


def test_stages_steps_and_histories_keep_their_order_and_dates(app, demo):
    with app.app_context():
        for project in db.session.scalars(select(Project)):
            stages = [m.stage for m in project.milestones]
            assert stages == list(PROJECT_STAGES[: len(stages)]), project.id
            assert project.stage == stages[-1]
            days = [m.reached_on for m in project.milestones]
            assert days == sorted(days) and days[0] == project.signed_on
            assert all(m.reached_on <= TODAY for m in project.milestones if m.proven)
            assert all(m.proven for m in project.milestones[1:])
            assert 90 <= (project.construction_deadline - project.signed_on).days <= 180
            assert 365 <= (project.production_deadline - project.signed_on).days <= 18 * 31
            assert project.agent_id is not None and project.jobs_planned
            assert 30_000_000 <= project.investment <= 2_000_000_000
            history = db.session.scalars(
                select(StageChange)
                .where(StageChange.lead_id == project.lead_id)
                .order_by(StageChange.at, StageChange.id)
            ).all()
            assert history[0].to_stage == "new" and history[-1].to_stage == "signed"
            assert history[-1].at.astimezone(CHINA).date() == project.signed_on
        steps = db.session.scalars(select(ApprovalStep)).all()
        for step in steps:
            assert (step.status == "not_started") == (step.submitted_on is None)
            assert (step.status == "approved") == (step.approved_on is not None)
            if step.submitted_on:
                assert step.due_on == add_working_days(step.submitted_on, step.limit_days)
                assert step.submitted_on <= (step.approved_on or TODAY) <= TODAY
                assert step.submitted_on >= step.project.signed_on
        overdue = [s for s in steps if s.status == "submitted" and s.due_on < TODAY]
        assert 3 <= len(overdue) <= 5
        assert {s.escalation_level for s in overdue} == {1, 2}
        assert all(s.project.stage == "signed" for s in overdue)
        late = [s for s in steps if s.approved_on and s.approved_on > s.due_on]
        assert 0 < len(late) < len(steps) // 4  # most within the department's limit
        leads = db.session.scalars(select(Lead)).all()
        assert {lead.source for lead in leads} >= {"website", "event", "referral", "manual"}
        assert len({lead.country for lead in leads}) >= 5
        for lead in leads:
            if lead.referrer_enterprise_id:
                assert lead.source == "referral" and lead.referred_at <= lead.created_at
        assert not db.session.scalar(select(func.count()).select_from(DuplicateCandidate))
        # Plots held or taken in plots.yaml are left alone; some free ones went to projects.
        listed = {p["code"]: p["status"] for p in get_content()["plots"]["plots"]}
        plots = {p.code: p for p in db.session.scalars(select(Plot))}
        allocated = {
            p.code for project in db.session.scalars(select(Project)) for p in project.plots
        }
        for code, status in listed.items():
            if status != "available":
                assert plots[code].status == status and code not in allocated
        assert len(allocated) >= 8
        assert any(p.status == "available" for p in plots.values())
        # Files on the major projects: an overdue action, open and resolved issues.
        actions = db.session.scalars(select(ActionItem)).all()
        assert any(a.done_on is None and a.due_on < TODAY for a in actions)
        assert all(a.done_on is None or a.done_on <= TODAY for a in actions)
        issues = db.session.scalars(select(ProjectIssue)).all()
        assert {i.resolved_on is None for i in issues} == {True, False}
        filed = {m.project_id for m in db.session.scalars(select(Meeting))}
        filed |= {i.project_id for i in issues}
        assert all(db.session.get(Project, pid).investment >= 500_000_000 for pid in filed)


def test_dashboard_and_department_report_tell_the_year(app, demo_manager):
    client = demo_manager
    with app.app_context():
        major = db.session.scalar(
            select(Meeting.project_id).join(Project).order_by(Project.investment.desc())
        )
    response = client.get("/crm/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for measure in ("signed", "construction", "production"):
        row = re.search(rf'<tr data-measure="{measure}">.*?</tr>', page, re.S).group(0)
        target, actual, _share = re.findall(r'class="number">([^<]+)<', row)
        assert 0 < int(actual.replace(",", "")) < int(target), measure
    report = client.get("/crm/projects/departments")
    assert report.status_code == 200
    overdue = re.search(
        r'<table[^>]*id="overdue-steps".*?</table>', report.get_data(as_text=True), re.S
    )
    assert overdue and len(re.findall(r"<tr>", overdue.group(0))) >= 4  # heading and 3 steps
    detail = client.get(f"/crm/projects/{major}")
    assert detail.status_code == 200
    assert "协调会" in detail.get_data(as_text=True)
