"""The periodic jobs in one table: what each does, when it runs (in words and as cron), and the
`flask` command that runs it. Cron calls the commands; a scheduler can read the same table."""

from collections.abc import Callable
from dataclasses import dataclass

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from core.extensions import db
from core.models import Referral

EXTENSION = "periodic_jobs"


@dataclass(frozen=True)
class Job:
    """One periodic job. `run` works in an app context, commits, and returns its report lines;
    its docstring is the command's help, its keyword arguments the command's `options`."""

    name: str
    run: Callable[..., list[str]]
    cron: str
    when: str
    options: tuple[click.Option, ...] = ()


def send_outbox(limit: int = 500) -> list[str]:
    """Send queued emails that are due."""
    from core.outbox import send_due

    sent, failed = send_due(limit=limit)
    current_app.logger.info("outbox run: %s sent, %s failed", sent, failed)
    return [f"outbox: {sent} sent, {failed} failed (retried later, or parked)"]


def release_reservations() -> list[str]:
    """Make plots available again whose reservation is past its last day."""
    from core.projects import release_expired

    codes = release_expired()
    db.session.commit()
    return [f"released: {len(codes)} plot(s)" + (f": {', '.join(codes)}" if codes else "")]


def check_deadlines() -> list[str]:
    """Flag for review the incentives of projects past their construction deadline."""
    from core.projects import flag_missed_deadlines

    late = flag_missed_deadlines()
    db.session.commit()
    lines = [f"project {p.id}: construction deadline {p.construction_deadline}" for p in late]
    return [*lines, f"flagged for review: {len(late)} project(s)"]


def escalate_approvals() -> list[str]:
    """Email overdue approval steps: the agent first, then the department and the liaison."""
    from core.approvals import escalate
    from core.projects import park_today

    done = escalate(park_today())
    db.session.commit()
    lines = [
        f"project {item.step.project_id} step {item.step.kind}: level {item.level} "
        f"to {', '.join(item.recipients) or 'nobody'}"
        for item in done
    ]
    return [*lines, f"escalated: {len(done)} step(s); `send-outbox` delivers the emails"]


def apply_retention(dry_run: bool = False) -> list[str]:
    """Anonymise leads silent for longer than the retention period (not signed, no hold), and
    referrals that never became a lead; remove uploaded import files past IMPORT_FILE_DAYS."""
    from core import privacy
    from core.imports.retention import remove_uploads

    referrals = db.session.scalar(
        select(func.count()).select_from(Referral).where(*privacy.old_referrals())
    )
    due = privacy.apply_retention(dry_run=dry_run)
    lines = [
        f"lead {lead.id} {lead.code_name}: last activity "
        f"{lead.last_contact_at or lead.created_at:%Y-%m-%d}"
        for lead in due
    ]
    verb = "would be anonymised" if dry_run else "anonymised"
    lines.append(f"retention: {len(due)} lead(s) {verb}")
    lines.append(f"retention: {referrals} referral(s) that never became a lead {verb}")
    files = remove_uploads(dry_run=dry_run)
    verb = "would be removed" if dry_run else "removed"
    lines.append(f"retention: {len(files)} uploaded import file(s) {verb}")
    return lines


# Core's jobs; the CRM adds its own with register() when its blueprint is registered.
JOBS = (
    Job(
        "send-outbox",
        send_outbox,
        "* * * * *",
        "every minute",
        (
            click.Option(
                ["--limit"], default=500, show_default=True, help="Most emails to try in one run."
            ),
        ),
    ),
    Job("escalate-approvals", escalate_approvals, "0 8 * * 1-5", "every working morning at 8:00"),
    Job("release-reservations", release_reservations, "0 2 * * *", "nightly at 2:00"),
    Job("check-deadlines", check_deadlines, "15 2 * * *", "nightly at 2:15"),
    Job(
        "apply-retention",
        apply_retention,
        "30 2 * * *",
        "nightly at 2:30",
        (
            click.Option(
                ["--dry-run"], is_flag=True, help="Only list the leads that would be anonymised."
            ),
        ),
    ),
)


def init_app(app: Flask) -> None:
    for job in JOBS:
        register(app, job)


def register(app: Flask, job: Job) -> None:
    """Put a job in the app's table and make it a `flask` command."""
    app.extensions.setdefault(EXTENSION, {})[job.name] = job

    def callback(**options) -> None:
        for line in job.run(**options):
            click.echo(line)

    help_text = f"{job.run.__doc__} Run {job.when} (cron: {job.cron})."
    command = click.Command(job.name, callback=with_appcontext(callback), params=list(job.options))
    command.help = help_text
    app.cli.add_command(command)


def jobs(app: Flask) -> list[Job]:
    """Every periodic job of this app, core's and the CRM's."""
    return list(app.extensions.get(EXTENSION, {}).values())
