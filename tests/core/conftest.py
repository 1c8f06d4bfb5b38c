"""What tests of core share: the demo manager, signed in to the demo year."""

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import User
from crm.auth.twofactor import new_secret
from tests.factories import sign_in_as


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
