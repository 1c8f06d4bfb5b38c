"""The CRM's jobs page: admins see the queue, the last run of each periodic job and failed
imports, run a job now and retry an import; nobody else opens it (the role matrix checks all)."""

from pathlib import Path

import pytest
from sqlalchemy import select

from core import jobs
from core.extensions import db
from core.imports import new_job
from core.models import ImportJob, JobRun, User
from core.periodic import run_recorded
from tests.conftest import csrf_token, translated
from tests.factories import make_cast, signed_in

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def cast(app):
    with app.app_context():
        return make_cast()


def test_admins_find_the_page_in_the_administration_and_others_are_refused(app, cast):
    admin = signed_in(app, cast.admin)
    assert 'href="/crm/jobs"' in admin.get("/crm/admin/settings").get_data(as_text=True)
    for role in ("manager", "officer", "leader"):
        assert signed_in(app, cast.by_role()[role]).get("/crm/jobs").status_code == 403


def test_the_page_shows_each_periodic_job_and_its_last_run(app, cast):
    with app.app_context():
        run_recorded("check-deadlines")
    page = signed_in(app, cast.admin).get("/crm/jobs").get_data(as_text=True)
    assert "send-digests" in page and "reap-imports" in page
    assert "flagged for review: 0 project(s)" in page
    waiting = "Waiting in the queue: %(pending)s, scheduled for later: %(scheduled)s."
    assert translated(app, waiting, pending=0, scheduled=0) in page


def test_run_now_enqueues_the_job_and_the_run_is_recorded(app, cast):
    client = signed_in(app, cast.admin)
    token = csrf_token(client.get("/crm/jobs").get_data(as_text=True))
    response = client.post(
        "/crm/jobs/periodic/release-reservations/run", data={"csrf_token": token}
    )
    assert response.status_code == 302
    with app.app_context():  # the test queue runs it at once
        assert db.session.scalar(select(JobRun.status)) == "ok"
    assert client.post("/crm/jobs/periodic/nope/run", data={"csrf_token": token}).status_code == 404
    assert client.post("/crm/jobs/periodic/release-reservations/run").status_code == 400


def test_a_failed_import_is_listed_with_its_error_and_can_be_retried(app, cast):
    with app.test_request_context():
        officer = db.session.get(User, cast.officer)
        job = new_job((DATA / "utf8.csv").read_bytes(), "utf8.csv", user=officer)
        job.status, job.error = "failed", "Nothing was imported: the worker was lost"
        db.session.commit()
        job_id = job.id
    client = signed_in(app, cast.admin)
    page = client.get("/crm/jobs").get_data(as_text=True)
    assert "the worker was lost" in page and f"/crm/jobs/imports/{job_id}/retry" in page
    token = csrf_token(page)
    retry = f"/crm/jobs/imports/{job_id}/retry"
    assert client.post(retry, data={"csrf_token": token}).status_code == 302
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job.status == "done" and job.created == 3  # run for the officer who uploaded it
        stats = jobs.queue_stats()
        assert stats["failed_imports"] == 0 and stats["running_imports"] == 0
    # Done now: a second retry changes nothing.
    assert client.post(retry, data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(ImportJob, job_id).status == "done"
