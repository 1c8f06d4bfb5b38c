"""The periodic jobs in one table: what each does, when it runs (in words, and as crontab fields
in Beijing time, on working days only where it says so), its `flask` command, and the Huey
periodic task the worker's scheduler runs it by; each run is recorded (JobRun)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from huey import crontab
from sqlalchemy import delete, func, select

from core.extensions import db
from core.jobs import app_context, huey, task
from core.models import JobRun, Referral
from core.models.base import utcnow
from core.workdays import CHINA, is_working_day

EXTENSION = "periodic_jobs"


@dataclass(frozen=True)
class Job:
    """One periodic job. `run` works in an app context, commits, and returns its report lines;
    its docstring is the command's help, its keyword arguments the command's `options`. `cron`
    is read in Beijing time; `working_days` skips the days off of content/data/holidays.yaml
    and adds the make-up working weekends."""

    name: str
    run: Callable[..., list[str]]
    cron: str
    when: str
    options: tuple[click.Option, ...] = ()
    working_days: bool = False

    def due(self, moment: datetime) -> bool:
        """Whether the job runs in the minute of `moment` (naive UTC, as Huey's scheduler
        gives it, or aware)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        local = moment.astimezone(CHINA).replace(tzinfo=None)
        if not crontab(*self.cron.split())(local):
            return False
        if not self.working_days:
            return True
        with app_context():  # the holiday calendar is content
            return is_working_day(local.date())


def send_outbox(limit: int = 500) -> list[str]:
    """Send queued emails that are due."""
    from core.outbox import send_due

    sent, failed = send_due(limit=limit)
    current_app.logger.info("outbox run: %s sent, %s failed", sent, failed)
    return [f"outbox: {sent} sent, {failed} failed (retried later, or parked)"]


def fetch_mail(limit: int = 200) -> list[str]:
    """Fetch new mail from the bureau's IMAP mailbox onto the leads' timelines, or into triage."""
    from core.mail_in.fetch import fetch_mail as fetch

    return fetch(limit=limit)


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


def remind_appointments() -> list[str]:
    """Email the owner and the liaison leader of each visit or meeting the day before it."""
    from core.appointments.reminders import send_reminders

    lines = send_reminders()
    db.session.commit()
    return lines


def reap_imports() -> list[str]:
    """Mark failed the imports whose worker stopped reporting (IMPORT_STALE_MINUTES)."""
    from core.imports.running import reap_stale

    return reap_stale()


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
    Job(
        "fetch-mail",
        fetch_mail,
        "*/2 * * * *",
        "every 2 minutes",
        (
            click.Option(
                ["--limit"], default=200, show_default=True, help="Most mails to fetch in one run."
            ),
        ),
    ),
    Job(
        "escalate-approvals",
        escalate_approvals,
        "0 8 * * *",
        "every working morning at 8:00",
        working_days=True,
    ),
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
    Job("reap-imports", reap_imports, "*/5 * * * *", "every 5 minutes"),
    # Late afternoon, so a visit moved during the day is still reminded of before it.
    Job("remind-appointments", remind_appointments, "0 16 * * *", "daily at 16:00"),
)


def init_app(app: Flask) -> None:
    for job in JOBS:
        register(app, job)


def register(app: Flask, job: Job) -> None:
    """Put a job in the app's table, make it a `flask` command and a Huey periodic task."""
    app.extensions.setdefault(EXTENSION, {})[job.name] = job
    _schedule(job)

    def callback(**options) -> None:
        for line in run_recorded(job.name, **options):
            click.echo(line)

    days = ", working days only" if job.working_days else ""
    help_text = f"{job.run.__doc__} Run {job.when} (Beijing time: {job.cron}{days})."
    command = click.Command(job.name, callback=with_appcontext(callback), params=list(job.options))
    command.help = help_text
    app.cli.add_command(command)


def jobs(app: Flask) -> list[Job]:
    """Every periodic job of this app, core's and the CRM's."""
    return list(app.extensions.get(EXTENSION, {}).values())


# Runs kept per job: the CRM shows the last; every minute's send-outbox would fill the table.
KEEP_DAYS = 14


def run_recorded(name: str, **options) -> list[str]:
    """Run the app's job `name` as a JobRun: started, then ok with its report or failed with
    its error (raised again, for Huey's log and a command's exit code)."""
    job = current_app.extensions[EXTENSION][name]
    run = JobRun(name=name, status="running", started_at=utcnow())
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    try:
        lines = job.run(**options)
    except Exception as exc:
        db.session.rollback()
        _finish(run_id, "failed", error=f"{type(exc).__name__}: {exc}"[:4000])
        raise
    _finish(run_id, "ok", report="\n".join(lines))
    return lines


def _finish(run_id: int, status: str, **fields) -> None:
    run = db.session.get(JobRun, run_id)
    run.status, run.finished_at = status, utcnow()
    for key, value in fields.items():
        setattr(run, key, value)
    db.session.execute(
        delete(JobRun).where(
            JobRun.name == run.name, JobRun.started_at < utcnow() - timedelta(days=KEEP_DAYS)
        )
    )
    db.session.commit()


_scheduled: set[str] = set()


def _schedule(job: Job) -> None:
    """One Huey periodic task per job name, for every app this process makes (the tests make
    several): it runs the job of the app the worker bound (core.jobs)."""
    name = f"periodic_{job.name.replace('-', '_')}"
    if name in _scheduled:
        return
    _scheduled.add(name)

    def periodic() -> None:
        with app_context():
            run_recorded(job.name)

    periodic.__name__ = name
    huey.periodic_task(job.due, name=name)(periodic)


@task()
def run_now(name: str) -> None:
    """A periodic job run on demand (the CRM's jobs page), recorded like a scheduled run."""
    run_recorded(name)
