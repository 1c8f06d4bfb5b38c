"""Every periodic job is in one table, is a `flask` command, and README lists it with its cron."""

import re
from pathlib import Path

from core.periodic import jobs

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_rows() -> dict[str, str]:
    """command name -> cron of each row of README's periodic jobs table."""
    section = README.read_text(encoding="utf-8").split("### Periodic jobs", 1)[1]
    rows = re.findall(r"^\| `([^`]+)` \| `flask --app wsgi ([\w-]+)", section, re.MULTILINE)
    return {name: cron for cron, name in rows}


def test_core_and_crm_jobs_are_registered_as_commands(app):
    names = {job.name for job in jobs(app)}
    assert {"send-outbox", "send-digests", "apply-retention", "escalate-approvals"} <= names
    assert {"release-reservations", "check-deadlines"} <= names
    commands = app.cli.list_commands(None)
    assert names <= set(commands)


def test_readme_lists_every_periodic_job_with_its_cron(app):
    assert _readme_rows() == {job.name: job.cron for job in jobs(app)}


def test_a_job_runs_without_the_command_line(app):
    """What a scheduler would do: call the job in an app context and read its report."""
    job = next(job for job in jobs(app) if job.name == "check-deadlines")
    with app.app_context():
        assert job.run() == ["flagged for review: 0 project(s)"]
