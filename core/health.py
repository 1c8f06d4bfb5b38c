"""/healthz (the process answers) and /readyz (database, Redis, migrations at head, and what other
modules register): names and ok/failed only, never cached, never rate-limited."""

import logging
from collections.abc import Callable

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from core.extensions import db, limiter
from core.jobs import huey

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)
# name -> a function that raises (or returns False) when that dependency is not ready.
_checks: dict[str, Callable[[], object]] = {}


def readiness_check(name: str):
    """Register a check under name (a decorator), e.g. the job queue's."""

    def register(function):
        _checks[name] = function
        return function

    return register


@readiness_check("database")
def _database() -> bool:
    return db.session.execute(text("SELECT 1")).scalar() == 1


@readiness_check("redis")
def _redis() -> bool | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None  # not configured: nothing to check (development)
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    finally:
        client.close()


@readiness_check("queue")
def _queue() -> bool:
    if huey.immediate:
        return True  # tests: tasks run where they are enqueued
    huey.pending_count()  # raises when its storage (Redis, or SQLite's file) cannot be reached
    return True


@readiness_check("migrations")
def _migrations() -> bool:
    current = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    return current == _heads()


def _heads() -> set[str]:
    """The migrations directory's heads, read once per process (they change with a release)."""
    heads = current_app.extensions.get("migration_heads")
    if heads is None:
        directory = current_app.extensions["migrate"].directory
        heads = set(ScriptDirectory(directory).get_heads())
        current_app.extensions["migration_heads"] = heads
    return heads


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """The process is alive; asks nothing of the database."""
    return _no_store(current_app.response_class("ok\n", mimetype="text/plain"))


@bp.route("/readyz")
@limiter.exempt
def readyz():
    results = {}
    for name, check in _checks.items():
        try:
            outcome = check()
        except Exception as exc:  # the reason goes to the log, never to the caller
            # One line: a probe every few seconds must not write a traceback each time.
            log.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            outcome = False
            # A failed statement leaves the transaction aborted (PostgreSQL): the next check
            # starts clean.
            db.session.rollback()
        if outcome is not None:
            results[name] = "ok" if outcome else "failed"
    ready = all(value == "ok" for value in results.values())
    response = jsonify({"status": "ok" if ready else "failed", "checks": results})
    response.status_code = 200 if ready else 503
    return _no_store(response)


def init_app(app) -> None:
    app.register_blueprint(bp)
