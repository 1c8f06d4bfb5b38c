"""The job queue: a real consumer process runs what the web app enqueued (SQLite storage), runs
are recorded, stale imports are reaped, queue_stats answers."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core import create_app, jobs, outbox
from core.extensions import db
from core.imports import new_job, progress_of, start_job
from core.imports.jobs import set_progress
from core.imports.running import reap_stale
from core.models import ImportJob, JobRun, OutboxEmail
from core.models.base import utcnow
from core.periodic import EXTENSION, Job, run_now, run_recorded
from tests.conftest import make_config
from tests.factories import make_user
from tests.smtp import SMTPServer

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


# Redis DB 13 is this suite's (the development Redis is shared).
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def _redis_missing() -> str | None:
    try:
        import redis

        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:
        return f"no Redis at {TEST_REDIS_URL}: {exc}"
    return None


@pytest.fixture(params=["sqlite", "redis"])
def queued_app(request, app, tmp_path):
    """An app whose queue is real (SqliteHuey on a file, or RedisHuey), on its own database."""
    if request.param == "redis" and (missing := _redis_missing()):
        pytest.skip(missing)
    queued = create_app(
        make_config(
            tmp_path,
            HUEY_IMMEDIATE=False,
            HUEY_STORAGE=request.param,
            HUEY_SQLITE_PATH=str(tmp_path / "jobs.db"),
            REDIS_URL=TEST_REDIS_URL,
        )
    )
    jobs.huey.flush()
    with queued.app_context():
        db.create_all()
    yield queued
    jobs.huey.flush()
    with queued.app_context():
        db.session.remove()
        db.engine.dispose()
    jobs.init_app(app)  # back to the shared app's immediate queue


def test_a_real_consumer_process_sends_mail_runs_an_import_and_a_job(queued_app, tmp_path):
    with SMTPServer() as server, queued_app.test_request_context():
        email = outbox.queue(kind="crm", to="ann@example.com", language="en", subject="Hi", body="")
        db.session.commit()
        outbox.hand_to_worker([email.id])
        officer = make_user("officer", "officer@example.org")
        job = new_job((DATA / "utf8.csv").read_bytes(), "utf8.csv", user=officer)
        job.status = "running"  # claimed, as the CRM's run button does
        db.session.commit()
        start_job(job.id, officer)
        run_now("check-deadlines")
        assert jobs.huey.pending_count() == 3  # waiting for a consumer, nothing done yet
        assert server.received == []
        env = dict(
            os.environ,
            APP_ENV="development",
            DATABASE_URL=queued_app.config["SQLALCHEMY_DATABASE_URI"],
            INSTANCE_PATH=str(tmp_path),
            UPLOAD_DIR=queued_app.config["UPLOAD_DIR"],
            HUEY_STORAGE=queued_app.config["HUEY_STORAGE"],
            HUEY_SQLITE_PATH=queued_app.config["HUEY_SQLITE_PATH"],
            REDIS_URL=TEST_REDIS_URL,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(server.port),
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "-w", "2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                db.session.expire_all()
                run = db.session.scalar(select(JobRun))
                imported = db.session.get(ImportJob, job.id)
                if server.received and run and run.status != "running" and imported.finished:
                    break
                time.sleep(0.2)
        finally:
            worker.send_signal(signal.SIGINT)  # graceful: running tasks finish
            _, errors = worker.communicate(timeout=30)
        assert [m.subject for m in server.received] == ["Hi"], errors.decode()
        assert db.session.get(OutboxEmail, email.id).status == "sent"
        assert (run.name, run.status, run.report) == (
            "check-deadlines",
            "ok",
            "flagged for review: 0 project(s)",
        )
        assert (imported.status, imported.created) == ("done", 3), imported.error
        assert progress_of(imported) == 3
        assert jobs.huey.pending_count() == 0


def test_the_worker_refuses_to_start_in_immediate_mode(app):
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code != 0 and "HUEY_IMMEDIATE" in result.output


def test_each_run_is_recorded_with_its_report_or_error(app):
    def boom() -> list[str]:
        """Fails."""
        raise RuntimeError("disk full")

    with app.app_context():
        app.extensions[EXTENSION]["boom"] = Job("boom", boom, "* * * * *", "every minute")
        try:
            with pytest.raises(RuntimeError):
                run_recorded("boom")
        finally:
            del app.extensions[EXTENSION]["boom"]
        assert run_recorded("check-deadlines") == ["flagged for review: 0 project(s)"]
        runs = {r.name: r for r in db.session.scalars(select(JobRun))}
        assert runs["boom"].status == "failed" and runs["boom"].error == "RuntimeError: disk full"
        assert runs["check-deadlines"].status == "ok" and runs["boom"].finished_at is not None
        stats = jobs.queue_stats()
        assert stats["failed_runs"] == 1 and stats["pending"] == 0


def test_the_command_records_its_run_too(app):
    result = app.test_cli_runner().invoke(args=["release-reservations"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(JobRun.name)) == "release-reservations"


def _running_job(started_minutes_ago: int) -> ImportJob:
    job = ImportJob(
        filename="x.csv",
        stored_path="imports/x.csv",
        status="running",
        started_at=utcnow() - timedelta(minutes=started_minutes_ago),
        report=[],
        lead_ids=[],
    )
    db.session.add(job)
    db.session.commit()
    return job


def test_an_import_whose_worker_died_is_marked_failed_not_running_forever(app):
    with app.app_context():
        dead = _running_job(30)  # started long ago, never reported
        quiet = _running_job(30)
        set_progress(quiet.id, 10)  # its worker reports: alive
        fresh = _running_job(1)  # just handed over
        lines = reap_stale()
        assert lines[-1] == "reaped: 1 import(s)"
        db.session.expire_all()
        assert db.session.get(ImportJob, dead.id).status == "failed"
        assert "WorkerLost" in db.session.get(ImportJob, dead.id).error
        assert db.session.get(ImportJob, quiet.id).status == "running"
        assert db.session.get(ImportJob, fresh.id).status == "running"
        assert jobs.queue_stats()["failed_imports"] == 1
