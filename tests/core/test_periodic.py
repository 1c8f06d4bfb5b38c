"""Every periodic job is in one table, is a `flask` command and a Huey periodic task, runs in
Beijing time on the days it should, and README lists it with its schedule."""

import re
import time
from datetime import datetime
from pathlib import Path

import pytest

from core.jobs import huey
from core.periodic import jobs

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_rows() -> dict[str, str]:
    """command name -> schedule of each row of README's periodic jobs table."""
    section = README.read_text(encoding="utf-8").split("### Periodic jobs", 1)[1]
    rows = re.findall(r"^\| `([^`]+)` \| `flask --app wsgi ([\w-]+)", section, re.MULTILINE)
    return {name: cron for cron, name in rows}


def test_core_and_crm_jobs_are_registered_as_commands(app):
    names = {job.name for job in jobs(app)}
    assert {"send-outbox", "send-digests", "apply-retention", "escalate-approvals"} <= names
    assert {"release-reservations", "check-deadlines"} <= names
    commands = app.cli.list_commands(None)
    assert names <= set(commands)


def test_readme_lists_every_periodic_job_with_its_schedule(app):
    assert _readme_rows() == {job.name: job.cron for job in jobs(app)}
    section = README.read_text(encoding="utf-8").split("### Periodic jobs", 1)[1]
    table = section.split("\n\n", 2)[1]
    assert "cron" not in table.lower()  # the scheduler runs them, not cron


def test_every_job_is_a_huey_periodic_task(app):
    tasks = {task.__name__ for task in huey._registry._periodic_tasks}
    assert {f"periodic_{job.name.replace('-', '_')}" for job in jobs(app)} <= tasks


@pytest.fixture
def server_in_new_york(monkeypatch):
    """The server's own zone must not matter."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    "utc, digests, nightly",
    [
        # Monday 7 December 2026, 8:00 in Beijing is midnight UTC.
        ("2026-12-07 00:00", True, False),
        ("2026-12-07 08:00", False, False),  # 8:00 UTC is 16:00 in Beijing
        ("2026-12-06 00:00", False, False),  # Sunday
        ("2026-10-05 00:00", False, False),  # National Day holiday, a Monday
        ("2026-10-10 00:00", True, False),  # Saturday worked in exchange for the holiday
        ("2026-12-06 18:00", False, True),  # 2:00 on Monday in Beijing, still Sunday in UTC
    ],
)
def test_schedules_are_beijing_time_and_working_days(
    app, server_in_new_york, utc, digests, nightly
):
    by_name = {job.name: job for job in jobs(app)}
    moment = datetime.fromisoformat(utc)  # naive UTC, as Huey's scheduler (utc=True) gives it
    with app.app_context():
        assert by_name["send-digests"].due(moment) is digests
        assert by_name["escalate-approvals"].due(moment) is digests
        assert by_name["release-reservations"].due(moment) is nightly
        assert by_name["send-outbox"].due(moment)


def test_a_job_runs_without_the_command_line(app):
    """What a scheduler would do: call the job in an app context and read its report."""
    job = next(job for job in jobs(app) if job.name == "check-deadlines")
    with app.app_context():
        assert job.run() == ["flagged for review: 0 project(s)"]
