"""What tests of core share: the demo year loaded on a frozen park day."""

from datetime import date

import pytest
from sqlalchemy import select

from core import projects
from core.extensions import db
from core.models import User
from crm.auth.twofactor import new_secret
from tests.crm.helpers import sign_in_as

# The park's today for demo tests: late in the year, so the year is mostly behind it.
DEMO_TODAY = date(2026, 11, 30)


@pytest.fixture
def demo(app, monkeypatch):
    """`flask load-demo` run on DEMO_TODAY; its output."""
    monkeypatch.setattr(projects, "park_today", lambda: DEMO_TODAY)
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def demo_manager(app, demo):
    """A test client signed in as the demo manager, who reads English."""
    client = app.test_client()
    with app.app_context():
        manager = db.session.scalar(select(User).where(User.role == "manager"))
        manager.totp_secret, manager.language = new_secret(), "en"
        db.session.commit()
        sign_in_as(client, manager.id)
    return client
