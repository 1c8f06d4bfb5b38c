"""Commands for the operator: the park's content (load-content; load-demo adds the demo), staff
accounts; the periodic jobs' commands come from core/periodic.py, import-leads from core/imports,
check-config from core/checks.py."""

from datetime import date
from decimal import Decimal

import click
from flask import current_app
from sqlalchemy import select

from core import backup, periodic, storage, webhooks
from core.audit import record
from core.content import get_content
from core.enterprises import load_enterprises
from core.events import load_events
from core.extensions import db
from core.lists import seed_lists
from core.models import ROLES, UTILITIES, Plot, PlotUtility, Team, User
from core.passwords import hash_password, policy_problem
from core.units import mu_to_m2

# Planning conditions read as single figures (the plot ratio is a [min, max] pair).
PLANNING_FIELDS = (
    "building_density_min",
    "green_ratio_max",
    "height_limit_m",
    "investment_intensity_min",
    "tax_per_mu_min",
)


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _set_planning(plot: Plot, defaults: dict, own: dict) -> None:
    """The plot's planning conditions: its land use's defaults, then what the plot itself says."""
    spec = {**defaults.get(plot.land_use, {}), **(own or {})}
    low, high = (spec.get("plot_ratio") or [None, None])[:2]
    plot.plot_ratio_min, plot.plot_ratio_max = _decimal(low), _decimal(high)
    for name in PLANNING_FIELDS:
        setattr(plot, name, _decimal(spec.get(name)))


def load_plots() -> tuple[int, int]:
    """Create or refresh the plots of content/data/plots.yaml; statuses set in the CRM are kept."""
    created = updated = 0
    existing = {p.code: p for p in db.session.scalars(select(Plot))}
    planning_defaults = get_content()["plots"].get("planning_defaults") or {}
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
        _set_planning(plot, planning_defaults, item.get("planning"))
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
    from core.checks import check_config_command

    app.cli.add_command(check_config_command)
    _register_user_commands(app)
    _register_file_commands(app)
    periodic.init_app(app)
    webhooks.init_app(app)  # send-webhooks beside the other periodic jobs
    backup.register(app)
    from core.imports import command as import_command  # import-leads lives beside the import

    import_command.register(app)

    @app.cli.command("load-content")
    def load_content_command():
        """Load the park's content into the database, without any demo data.

        Plots, the bureau's lists, events and enterprises from content/data; safe to run again:
        what exists is refreshed or kept, never duplicated.
        """
        load_content()

    @app.cli.command("load-demo")
    def load_demo():
        """Load the park's content (as load-content), and outside production the demo.

        Safe to run again: what exists is refreshed or kept, never duplicated.
        """
        load_content()
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


def load_content() -> None:
    """What a live site starts from: the park's content files, loaded or refreshed."""
    created, updated = load_plots()
    click.echo(f"plots: {created} created, {updated} refreshed")
    click.echo(f"lists: {seed_lists()} items added")
    created, updated = load_events()
    click.echo(f"events: {created} created, {updated} refreshed")
    click.echo(f"enterprises: {load_enterprises()} created")


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


def _register_file_commands(app) -> None:
    @app.cli.command("move-files")
    @click.option(
        "--to",
        "to",
        required=True,
        type=click.Choice(storage.BACKENDS),
        help="Where the files go: the database, or UPLOAD_DIR.",
    )
    def move_files(to: str):
        """Move the uploaded files into the database or onto disk (UPLOAD_DIR).

        Each file is committed on its own: run again after a stop, it takes up where it was.
        Set FILE_STORAGE to the same store, so new files go there too.
        """
        source = storage.named("disk" if to == "database" else "database")
        counts = storage.move_files(source, storage.named(to), report=click.echo)
        click.echo(
            f"moved {counts['moved']}, already there {counts['already']}, "
            f"failed {counts['failed']}, referenced but missing {counts['missing']}"
        )
        if current_app.config["FILE_STORAGE"] != to:
            click.echo(f"note: FILE_STORAGE is {current_app.config['FILE_STORAGE']!r}, not {to!r}")
        if counts["failed"]:
            raise SystemExit(1)
