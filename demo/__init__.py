"""The demo for `make run` and the tests: staff accounts, leads, referrals, a year of projects
and pipeline. Loaded by `flask load-demo` outside production; never installed in production."""

from collections.abc import Callable

from demo.accounts import load_demo_accounts
from demo.appointments import load_demo_appointments
from demo.enterprises import load_demo_referrals
from demo.events import staff_demo_fair
from demo.leads import load_demo_leads
from demo.pipeline import load_demo_pipeline
from demo.projects import load_demo_projects


def load_demo(echo: Callable[[str], None]) -> None:
    """Load every part of the demo, in the order they build on each other (safe to run again).

    The park's own content (plots, lists, events, enterprises) is loaded before, by the command.
    """
    echo(f"demo accounts: {load_demo_accounts()} created")
    staff_demo_fair()
    echo(f"demo leads: {load_demo_leads()} created")
    echo(f"demo referrals: {load_demo_referrals()} created")
    echo(f"demo projects: {load_demo_projects()} created")
    echo(f"demo pipeline: {load_demo_pipeline()} created")
    echo(f"demo visits and meetings: {load_demo_appointments()} created")
