"""Shared fixtures: one app per session, a clean database per test, on SQLite or PostgreSQL."""

import os
import re

import pytest
from flask.testing import FlaskClient

from core import create_app
from core.config import database_url
from core.extensions import db, limiter

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# The smtp_server fixture: a real local SMTP server (aiosmtpd) for mail tests.
pytest_plugins = ["tests.smtp"]


def make_config(tmp_path, **overrides) -> dict:
    uri = (
        database_url(TEST_DATABASE_URL)
        if TEST_DATABASE_URL
        else f"sqlite:///{tmp_path / 'test.db'}"
    )
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SERVER_NAME": None,
        # The test client's host: links in mails and pages read as before the setting was required.
        "PUBLIC_BASE_URL": "http://localhost",
        "RATELIMIT_ENABLED": True,
        "INQUIRY_MIN_SECONDS": 0,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,  # nothing listens: mail stays queued unless a test starts an SMTP server
        "MAIL_TIMEOUT": 2,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    config.update(overrides)
    return config


def reset_database() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


class DeliveringClient(FlaskClient):
    """A test client that, like a real server, closes each answer once it is read, so what
    the app does after its answer (sending the request's mail) has happened when a test looks.
    `buffered=False` keeps an answer open for a test that wants to see the moment before."""

    def open(self, *args, buffered=True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


@pytest.fixture(scope="session")
def _shared_app(tmp_path_factory):
    app = create_app(make_config(tmp_path_factory.mktemp("app")))
    app.test_client_class = DeliveringClient
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


@pytest.fixture
def app(_shared_app):
    """The app with an empty database holding only the demo plots."""
    from core.cli import load_plots

    app = _shared_app
    saved = dict(app.config)
    with app.app_context():
        reset_database()
        load_plots()
    limiter.reset()
    yield app
    app.config.clear()
    app.config.update(saved)
    with app.app_context():
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def translated(app, message: str, lang: str = "zh", **variables) -> str:
    """A UI string as staff or visitors see it in lang (CRM staff default to Chinese)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(lang):
        return gettext(message, **variables)
