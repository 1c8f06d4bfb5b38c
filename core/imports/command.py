"""`flask import-leads FILE --event SLUG [--dry-run] [--source NAME] [--encoding E]`."""

from pathlib import Path

import click
from sqlalchemy import select

from core.extensions import db
from core.imports.errors import ImportFileError
from core.imports.jobs import new_job
from core.imports.mapping import remember_mapping
from core.imports.report import describe, outcome_label
from core.imports.running import run_job
from core.models import Event, User

# Rows merged, skipped or rejected printed at the end; the rest is in the downloadable report.
SHOWN = 200


def register(app) -> None:
    @app.cli.command("import-leads")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--event", "event_slug", default=None, help="Attribute the leads to this event.")
    @click.option("--dry-run", is_flag=True, help="Check and report; write no leads.")
    @click.option("--source", default="", help="Name of the source; its column mapping is reused.")
    @click.option(
        "--encoding", default=None, help="utf-8, utf-8-sig, gb18030 or utf-16 (else detected)."
    )
    @click.option("--country", default=None, help="ISO country for rows without one (e.g. CN).")
    @click.option(
        "--user",
        "user_email",
        default=None,
        help="Importing staff member's email; rows merge only into leads they may change.",
    )
    def import_leads(file, event_slug, dry_run, source, encoding, country, user_email):
        """Import leads from a CSV or XLSX file, with de-duplication, in one transaction."""
        event = None
        if event_slug:
            event = db.session.scalar(select(Event).where(Event.slug == event_slug))
            if event is None:
                raise click.ClickException(f"no event with slug {event_slug!r}")
        user = None
        if user_email:
            user = db.session.scalar(select(User).where(User.email == user_email.strip().lower()))
            if user is None:
                raise click.ClickException(f"no user with email {user_email!r}")
        try:
            job = new_job(
                file.read_bytes(),
                file.name,
                user=user,
                source=source,
                event_id=event.id if event else None,
                encoding=encoding,
                default_country=country.upper() if country else None,
            )
        except ImportFileError as exc:
            raise click.ClickException(exc.message) from None
        job.dry_run = dry_run
        db.session.commit()
        click.echo(f"{file.name}: {job.total} rows, encoding {job.encoding or 'xlsx'}")
        for header, field in job.mapping.items():
            click.echo(f"  {header} -> {field or '(ignored)'}")
        with click.progressbar(length=job.total, label="importing") as bar:
            state = {"done": 0}

            def progress(done: int) -> None:
                bar.update(done - state["done"])
                state["done"] = done

            job = run_job(job, progress=progress)
        notable = [entry for entry in job.report if entry["outcome"] != "created"]
        for entry in notable[:SHOWN]:
            click.echo(
                f"  row {entry['row']}: {outcome_label(entry['outcome'])} - {describe(entry)}"
            )
        if len(notable) > SHOWN:
            click.echo(
                f"  … {len(notable) - SHOWN} more: the CRM's import page has the full report"
            )
        click.echo(
            f"import #{job.id} {job.status}{' (dry run, nothing written)' if dry_run else ''}: "
            f"{job.total} read, {job.created} created, {job.merged} merged, "
            f"{job.skipped} skipped, {job.rejected} rejected"
        )
        if job.status == "failed":
            raise click.ClickException(job.error)
        if source and not dry_run:
            remember_mapping(source, job.mapping)
            db.session.commit()
