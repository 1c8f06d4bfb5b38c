"""Command-line jobs: demo data, the outbox run for cron."""

from datetime import date
from decimal import Decimal

import click
from flask import current_app
from sqlalchemy import select

from core.audit import record
from core.content import get_content
from core.enterprises import load_enterprises
from core.events import load_events
from core.extensions import db
from core.lists import seed_lists
from core.models import ROLES, UTILITIES, Plot, PlotUtility, Team, User
from core.passwords import hash_password, policy_problem
from core.units import mu_to_m2


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def load_plots() -> tuple[int, int]:
    """Create or refresh the plots of content/data/plots.yaml; statuses set in the CRM are kept."""
    created = updated = 0
    existing = {p.code: p for p in db.session.scalars(select(Plot))}
    for item in get_content()["plots"]["plots"]:
        plot = existing.get(item["code"])
        if plot is None:
            plot = Plot(code=item["code"], status=item.get("status", "available"))
            db.session.add(plot)
            created += 1
        else:
            updated += 1
        plot.zone = item["zone"]
        plot.area_m2 = mu_to_m2(item["area_mu"])
        plot.land_use = item["land_use"]
        plot.price_per_mu = Decimal(str(item["price_per_mu"]))
        plot.outline = item["outline"]
        plot.notes = item.get("notes", {})
        by_name = {u.utility: u for u in plot.utilities}
        for position, name in enumerate(UTILITIES):
            spec = item["utilities"][name]
            utility = by_name.get(name) or PlotUtility(utility=name)
            if utility not in plot.utilities:
                plot.utilities.append(utility)
            utility.position = position
            utility.state = spec["state"]
            utility.ready_on = _as_date(spec.get("date"))
            utility.capacity = spec.get("capacity")
    db.session.commit()
    return created, updated


def init_app(app) -> None:
    _register_user_commands(app)
    from core import privacy  # apply-retention lives beside the anonymisation it runs

    privacy.init_app(app)
    from core.imports import command as import_command  # import-leads lives beside the import

    import_command.register(app)
    from core import approvals  # escalate-approvals lives beside the escalation rules

    approvals.register(app)

    @app.cli.command("load-demo")
    def load_demo():
        """Load the park's content, and outside production the demo, into the database.

        Safe to run again: what exists is refreshed or kept, never duplicated.
        """
        created, updated = load_plots()
        click.echo(f"plots: {created} created, {updated} refreshed")
        click.echo(f"lists: {seed_lists()} items added")
        created, updated = load_events()
        click.echo(f"events: {created} created, {updated} refreshed")
        click.echo(f"enterprises: {load_enterprises()} created")
        if current_app.config["PRODUCTION"]:
            click.echo("demo: skipped in production")
            return
        try:  # the demo package sits beside the code in a checkout; production does not install it
            from demo import load_demo as load_the_demo
        except ModuleNotFoundError as missing:
            if missing.name != "demo":
                raise
            raise click.ClickException(
                "the demo package is not installed: run load-demo from the repository's root"
            ) from None
        load_the_demo(click.echo)

    @app.cli.command("send-outbox")
    @click.option("--limit", default=500, show_default=True, help="Most emails to try in one run.")
    def send_outbox(limit: int):
        """Send queued emails that are due (run from cron every minute)."""
        from core.outbox import send_due

        sent, failed = send_due(limit=limit)
        click.echo(f"outbox: {sent} sent, {failed} failed (retried later, or parked)")
        current_app.logger.info("outbox run: %s sent, %s failed", sent, failed)

    @app.cli.command("release-reservations")
    def release_reservations():
        """Make plots available again whose reservation is past its last day (cron, nightly)."""
        from core.projects import release_expired

        codes = release_expired()
        db.session.commit()
        click.echo(f"released: {len(codes)} plot(s)" + (f": {', '.join(codes)}" if codes else ""))

    @app.cli.command("check-deadlines")
    def check_deadlines():
        """Flag for review the incentives of projects past their construction deadline (nightly)."""
        from core.projects import flag_missed_deadlines

        late = flag_missed_deadlines()
        db.session.commit()
        for project in late:
            click.echo(
                f"project {project.id}: construction deadline {project.construction_deadline}"
            )
        click.echo(f"flagged for review: {len(late)} project(s)")


def _register_user_commands(app) -> None:
    @app.cli.command("create-user")
    @click.option("--email", required=True, help="Sign-in address.")
    @click.option("--role", required=True, type=click.Choice(ROLES), help="What the user may do.")
    @click.option("--team", default=None, help="Team name (created if new).")
    @click.option("--name", default=None, help="Display name (defaults to the email's local part).")
    @click.password_option(help="Asked for when not given; at least 12 characters.")
    def create_user(email: str, role: str, team: str | None, name: str | None, password: str):
        """Create a staff account for the CRM."""
        email = email.strip().lower()
        problem = policy_problem(password, email)
        if problem:
            raise click.BadParameter(str(problem), param_hint="password")
        if db.session.scalar(select(User).where(User.email == email)):
            raise click.ClickException(f"a user with email {email} exists already")
        user = User(
            email=email,
            name=name or email.split("@")[0],
            role=role,
            team=team_named(team),
            password_hash=hash_password(password),
        )
        db.session.add(user)
        record("create", user, {"email": [None, email], "role": [None, role]}, actor="system")
        db.session.commit()
        click.echo(f"created {role} {email}")


def team_named(name: str | None) -> Team | None:
    """The team of that name, created if new; None for no name."""
    if not name:
        return None
    team = db.session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
    return team
