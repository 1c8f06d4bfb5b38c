"""Shared fixtures: one app per session (per xdist worker), a clean database per test, on SQLite
or PostgreSQL."""

import gc
import os
import re
import shutil
import tempfile
from datetime import date

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient

from core import create_app, passwords, projects
from core.config import database_url
from core.extensions import db, limiter
from tests.databases import (
    WORKER,
    create_database,
    restore,
    run_folder,
    run_lock,
    save,
    template_name,
    worker_url,
)


# The run's temporary files (SQLite databases and their copies, uploads, Chromium's profile) in
# memory where the machine has room there: a test's commits then wait on no disk (tests/crm took
# 59 s on the disk, 52 s in memory). TMPDIR set by the caller wins; subprocesses inherit it.
def _memory_has_room() -> bool:
    return os.access("/dev/shm", os.W_OK) and shutil.disk_usage("/dev/shm").free > 2 * 1024**3


if "TMPDIR" not in os.environ and _memory_has_room():
    os.environ["TMPDIR"] = tempfile.tempdir = "/dev/shm"
# Under pytest-xdist each worker has its own database on the server: <database>_gw0, …
TEST_DATABASE_URL = worker_url(os.environ.get("TEST_DATABASE_URL"))
# argon2id with the least work it allows: the production cost (by design ~0.1 s a hash, far more
# under load) made sign-in tests and the sign-in fuzz drill most of their run time.
passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
# Every public page, without its language prefix.
PAGES = [
    "/",
    "/land",
    "/land/N-01",
    "/policies",
    "/policies/on-time-construction-bonus",
    "/incentives/estimator",
    "/infrastructure",
    "/news",
    "/news/north-road-skeleton-completed",
    "/enterprises",
    "/one-stop-service",
    "/contact",
    "/privacy",
    "/inquiry",
]
# The smtp_server fixture: a real local SMTP server (aiosmtpd) for mail tests; imap_server: a
# real local Dovecot for mail coming in.
pytest_plugins = ["tests.smtp", "tests.mail_server"]


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
        # Pictures and PDFs the tests make, beside the database rather than in the checkout.
        "BUILD_DIR": str(tmp_path / "build"),
        # Tasks run where they are enqueued (mail: once the answer is closed); a test that wants
        # the real consumer says so (tests/core/test_jobs.py).
        "HUEY_IMMEDIATE": True,
    }
    config.update(overrides)
    return config


def pytest_configure(config):
    # A test makes and drops objects by the hundred thousand around a long-lived app: collecting
    # less often spends less of the run in the garbage collector (tests/crm: 113 → 109 CPU-s).
    gc.set_threshold(100_000, 50, 100)
    if TEST_DATABASE_URL and WORKER:  # made anew each run: no tables left by another branch
        create_database(TEST_DATABASE_URL)


def pytest_collection_modifyitems(items):
    """Tests of the demo year are slow (`pytest -m "not slow"` leaves them out). Slow tests go
    first: under pytest-xdist a drill of a minute left for the end holds the whole run."""
    for item in items:
        if "demo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def reset_database() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


class DeliveringClient(FlaskClient):
    """A test client that, like a real server, closes each answer once it is read, so what
    the app does after its answer (handing the request's mail to the queue, which in tests runs
    it at once) has happened when a test looks.
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


@pytest.fixture(scope="session")
def _plots_template(_shared_app, tmp_path_factory) -> str | None:
    """SQLite: a copy of the database holding only the plots; copying it back beats deleting
    every table and refilling. PostgreSQL: None, copying a database takes longer than that."""
    from core.cli import load_plots

    if TEST_DATABASE_URL:
        return None
    with _shared_app.app_context():
        load_plots()
        template = template_name(_shared_app, tmp_path_factory.mktemp("plots"), "plots")
        save(_shared_app, template)
    return template


@pytest.fixture
def app(_shared_app, _plots_template):
    """The app with an empty database holding only the demo plots."""
    from core.cli import load_plots

    app = _shared_app
    saved = dict(app.config)
    # Files on disk go with the database rows that named them (the database store's go with it).
    shutil.rmtree(app.config["UPLOAD_DIR"], ignore_errors=True)
    with app.app_context():
        if _plots_template:
            restore(app, _plots_template)
        else:
            reset_database()
            load_plots()
    limiter.reset()
    yield app
    app.config.clear()
    app.config.update(saved)
    with app.app_context():
        db.session.remove()


@pytest.fixture(params=["disk", "database"])
def file_storage(request, app) -> str:
    """The test runs once with each file store (FILE_STORAGE); the app fixture restores it."""
    app.config["FILE_STORAGE"] = request.param
    return request.param


def stored_keys(app, folder: str = "") -> list[str]:
    """The keys kept in the current store, under folder."""
    from core import storage

    with app.app_context():
        return [k for k in storage.backend().stored_keys() if k.startswith(folder)]


def stored(key: str) -> bytes | None:
    """A stored file's bytes in the current store (None when not kept), in an app context."""
    from core.uploads import read_upload

    try:
        return read_upload(key) if key else None
    except FileNotFoundError:
        return None


# The park's today for demo tests: late in the year, so the year is mostly behind it.
DEMO_TODAY = date(2026, 11, 30)


@pytest.fixture
def demo(app, monkeypatch, tmp_path_factory):
    """`flask load-demo` run on DEMO_TODAY; its output. It runs once per test run (13 s): the
    first demo test saves the database it made as a template, the others start from a copy."""
    monkeypatch.setattr(projects, "park_today", lambda: DEMO_TODAY)
    folder = run_folder(tmp_path_factory)
    output = folder / "demo-year.txt"
    template = template_name(app, folder, "demo_year")
    with run_lock(folder / "demo-year.lock"):
        if output.exists():
            with app.app_context():
                restore(app, template)
            return output.read_text(encoding="utf-8")
        result = app.test_cli_runner().invoke(args=["load-demo"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            save(app, template)
        output.write_text(result.output, encoding="utf-8")
    return result.output


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


def assert_security_headers(response, url):
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    if url.startswith("/crm") and not url.startswith("/crm/static/"):
        assert response.headers["Cache-Control"] == "no-store"
