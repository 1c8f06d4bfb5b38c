"""Approval steps: the list from content/, working-day due days, escalation on a frozen clock."""

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from core import approvals, projects
from core.extensions import db
from core.models import ApprovalStep, AuditEntry, OutboxEmail, User
from tests.factories import make_cast, make_lead


@pytest.fixture
def step(app):
    """A signed project whose tax registration (3 working days) is carried by the officer."""
    with app.app_context(), app.test_request_context():
        cast = make_cast()
        officer, leader = db.session.get(User, cast.officer), db.session.get(User, cast.leader)
        lead = make_lead(owner=officer, liaison=leader, stage="signed")
        project = projects.open_project(lead, officer)
        project.agent_id = officer.id
        # Signing opened the file with the list's default steps, once.
        assert approvals.add_default_steps(project) == []
        steps = approvals.steps_of(project)
        for each in steps:
            each.agent_id = officer.id
        assert {s.kind for s in steps} >= {"business-registration", "construction-permit"}
        assert all(s.status == "not_started" and s.due_on is None for s in steps)
        tax = next(s for s in steps if s.kind == "tax-registration")
        assert tax.department == "taxation" and tax.limit_days == 3
        db.session.commit()
        return tax.id, cast


def submit(app, step_id, on: date, today: date) -> ApprovalStep:
    with app.app_context():
        row = db.session.get(ApprovalStep, step_id)
        approvals.update(
            row, status="submitted", submitted_on=on, approved_on=None, notes="",
            agent_id=row.agent_id, today=today,
        )  # fmt: skip
        db.session.commit()
        return row.due_on


def test_due_day_counts_working_days_across_national_day(app, step):
    step_id, _ = step
    # Tue 29 Sep + 3 working days: Wed 30 Sep, then 1-7 October off, Thu 8, Fri 9 October.
    assert submit(app, step_id, date(2026, 9, 29), date(2026, 9, 29)) == date(2026, 10, 9)


def test_bad_updates_are_refused(app, step):
    step_id, _ = step
    with app.test_request_context(), force_locale("en"):
        row = db.session.get(ApprovalStep, step_id)
        today = date(2026, 11, 1)
        for kwargs, message in [
            ({"status": "submitted", "submitted_on": None}, "submitted"),
            ({"status": "approved", "submitted_on": date(2026, 10, 1)}, "approved"),
            ({"status": "submitted", "submitted_on": date(2026, 12, 1)}, "future"),
            (
                {"status": "approved", "submitted_on": date(2026, 10, 9),
                 "approved_on": date(2026, 10, 8)},
                "before",
            ),
            ({"status": "lost"}, "status"),
        ]:  # fmt: skip
            values = {"submitted_on": None, "approved_on": None, **kwargs}
            with pytest.raises(approvals.Refused, match=message):
                approvals.update(row, notes="", agent_id=None, today=today, **values)
        with pytest.raises(approvals.Refused):
            approvals.add_step(row.project, "tax-registration")  # already in the file
        with pytest.raises(approvals.Refused):
            approvals.add_step(row.project, "no-such-step")


def escalations(app, today: date):
    with app.app_context(), app.test_request_context():
        done = approvals.escalate(today)
        db.session.commit()
        return [(e.level, e.recipients) for e in done]


def deliver(app, on: datetime) -> None:
    """The outbox sends what waits, at that moment (the send-outbox job, frozen in time)."""
    with app.app_context():
        for email in db.session.scalars(select(OutboxEmail).where(OutboxEmail.status == "queued")):
            email.status, email.sent_at = "sent", on
        db.session.commit()


def test_overdue_step_escalates_to_the_agent_then_department_and_liaison(app, step):
    step_id, cast = step
    with app.app_context():
        db.session.get(User, cast.officer).phone = "+86 28 8765 4321"
        db.session.commit()
    submit(app, step_id, date(2026, 9, 29), date(2026, 9, 29))  # due Fri 9 October
    assert escalations(app, date(2026, 10, 9)) == []  # due today: not late yet
    officer = "li@bureau.example"
    # Saturday 10 October is a working day (调休): one day late, the agent hears of it.
    assert escalations(app, date(2026, 10, 10)) == [(1, [officer])]
    assert escalations(app, date(2026, 10, 13)) == []  # the agent's mail has not gone out yet
    deliver(app, datetime(2026, 10, 10, 2, 0, tzinfo=UTC))
    assert escalations(app, date(2026, 10, 11)) == []  # told once per level
    assert escalations(app, date(2026, 10, 13)) == []  # two working days since the agent heard
    # Three working days after the agent's mail went out: the department and the liaison too.
    assert escalations(app, date(2026, 10, 14)) == [
        (2, [officer, "sw@qingyuan-county.example", "chen@bureau.example"])
    ]
    assert escalations(app, date(2026, 10, 20)) == []
    with app.app_context():
        emails = db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.kind == "approval_overdue")
            .order_by(OutboxEmail.id)
        ).all()
        assert [e.to_address for e in emails] == [
            officer,
            officer,
            "sw@qingyuan-county.example",
            "chen@bureau.example",
        ]
        assert all(e.language == "zh" and "税务登记" in e.subject for e in emails)
        second = emails[-1].body_text
        assert (
            "园区代办员" in second and "+86 28 8765 4321" in second and "2026年10月10日" in second
        )
        assert "/crm/projects/" in second
        levels = db.session.scalars(
            select(AuditEntry.changes).where(AuditEntry.action == "escalate")
        ).all()
        assert levels == [{"escalation_level": [0, 1]}, {"escalation_level": [1, 2]}]


def test_without_an_agent_the_second_level_says_nobody_was_told(app, step):
    step_id, _ = step
    with app.app_context():
        db.session.get(ApprovalStep, step_id).agent_id = None
        db.session.commit()
    submit(app, step_id, date(2026, 9, 29), date(2026, 9, 29))
    with app.app_context():
        db.session.get(ApprovalStep, step_id).agent_id = None
        db.session.commit()
    assert escalations(app, date(2026, 10, 10)) == [(1, [])]
    with app.app_context():  # the first level's day, on the test's frozen calendar
        db.session.get(ApprovalStep, step_id).escalated_at = datetime(2026, 10, 10, 2, tzinfo=UTC)
        db.session.commit()
    assert escalations(app, date(2026, 10, 13)) == []  # the waiting runs from that day
    assert escalations(app, date(2026, 10, 14)) == [
        (2, ["sw@qingyuan-county.example", "chen@bureau.example"])
    ]
    with app.app_context():
        body = db.session.scalars(select(OutboxEmail.body_text).order_by(OutboxEmail.id)).first()
        with app.test_request_context(), force_locale("zh"):
            from flask_babel import gettext

            nobody = gettext(
                "No park agent could be told of this step. As it is still overdue, the "
                "department and the project's liaison leader are now told."
            )
        assert nobody in body


def test_a_new_submission_or_an_approval_stops_the_escalation(app, step):
    step_id, _ = step
    submit(app, step_id, date(2026, 9, 29), date(2026, 9, 29))
    assert escalations(app, date(2026, 10, 10))
    # Resubmitted after the department returned it: a new due day, escalation from the start.
    assert submit(app, step_id, date(2026, 10, 12), date(2026, 10, 12)) == date(2026, 10, 15)
    assert escalations(app, date(2026, 10, 14)) == []
    with app.app_context():
        row = db.session.get(ApprovalStep, step_id)
        assert row.escalation_level == 0
        approvals.update(
            row, status="approved", submitted_on=date(2026, 10, 12),
            approved_on=date(2026, 10, 14), notes="", agent_id=row.agent_id,
            today=date(2026, 10, 14),
        )  # fmt: skip
        db.session.commit()
    assert escalations(app, date(2026, 11, 30)) == []


def test_the_cron_command_escalates_on_the_parks_day(app, step, monkeypatch):
    step_id, _ = step
    submit(app, step_id, date(2026, 9, 29), date(2026, 9, 29))
    monkeypatch.setattr(projects, "park_today", lambda: date(2026, 10, 13))
    result = app.test_cli_runner().invoke(args=["escalate-approvals"])
    assert result.exit_code == 0, result.output
    # Its first run, three working days late, tells the agent only: one level at a time.
    assert "tax-registration: level 1 to li@bureau.example" in result.output
    assert "escalated: 1 step(s)" in result.output
    again = app.test_cli_runner().invoke(args=["escalate-approvals"])
    assert "escalated: 0 step(s)" in again.output


def test_a_missed_construction_deadline_flags_the_incentives_for_review(app, step, monkeypatch):
    from core.models import Project

    with app.app_context():
        project = db.session.scalar(select(Project))
        project.policy_version = "2026-1"  # opened as a load: the signing's policy by hand
        project.construction_deadline = date(2026, 10, 31)
        db.session.commit()
    monkeypatch.setattr(projects, "park_today", lambda: date(2026, 10, 31))
    runner = app.test_cli_runner()
    assert "flagged for review: 0 project(s)" in runner.invoke(args=["check-deadlines"]).output
    monkeypatch.setattr(projects, "park_today", lambda: date(2026, 11, 1))
    assert "flagged for review: 1 project(s)" in runner.invoke(args=["check-deadlines"]).output
    assert "flagged for review: 0 project(s)" in runner.invoke(args=["check-deadlines"]).output
    with app.app_context():
        assert db.session.scalar(select(Project)).incentive_review is True
