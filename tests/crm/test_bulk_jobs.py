"""Bulk actions on more leads than one request takes: queued for the job worker (run at once in
the tests), as the person who started them, with a page for progress and outcome."""

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, BulkRun, Lead
from crm.leads import bulk
from tests.crm import test_bulk as shared
from tests.crm.test_bulk import audit_count, preview, run
from tests.factories import signed_in

fair = shared.fair  # the fixture: twelve fair leads, two of the officer's own


@pytest.fixture
def small_requests(monkeypatch):
    """One request takes 5 leads at most: the fair's 12 go to the worker."""
    monkeypatch.setattr(bulk, "MAX_BULK", 5)


def test_a_large_assignment_runs_on_the_worker_and_shows_what_it_did(
    app, cast, fair, small_requests
):
    client = signed_in(app, cast.manager)
    response, page = preview(
        client, event=fair["event"], scope="all", action="assign", mode="team", to_team=cast.team_a
    )
    assert response.status_code == 200
    assert "12 leads will be assigned, per officer:" in page
    assert 'id="bulk-queued"' in page
    queued = run(client, page)
    assert queued.status_code == 302
    location = queued.headers["Location"]
    assert location.startswith("/crm/leads/bulk/runs/")
    shown = client.get(location).get_data(as_text=True)
    assert 'data-status="done"' in shown and "12 leads done." in shown
    with app.app_context():
        leads = db.session.scalars(select(Lead).where(Lead.id.in_(fair["fair"]))).all()
        assert sorted(lead.owner_id for lead in leads) == sorted(
            [cast.officer] * 6 + [cast.teammate] * 6
        )
        # One entry per lead, in the name of who started it, as a run in the request would.
        assert audit_count(fair["fair"], "assign") == 12
        actors = db.session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "assign")
        ).all()
        assert set(actors) == {f"user:{cast.manager}"}
        bulk_run = db.session.scalars(select(BulkRun)).one()
        assert (bulk_run.status, bulk_run.total, bulk_run.done) == ("done", 12, 12)
        assert audit_count([bulk_run.id], "create") == 0  # entity BulkRun, not Lead
        logged = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "BulkRun")
        ).all()
        assert sorted(logged) == ["create", "finish"]


def test_a_large_tagging_records_the_skipped_leads_by_name(app, cast, fair, small_requests):
    with app.app_context():
        tagged = db.session.get(Lead, fair["fair"][0])
        tagged.tags = ["hot"]
        db.session.commit()
    client = signed_in(app, cast.manager)
    _, page = preview(client, event=fair["event"], scope="all", action="tag", tag="hot")
    assert "11 leads will get the tag “hot”." in page
    shown = client.get(run(client, page).headers["Location"]).get_data(as_text=True)
    assert "11 leads done." in shown
    assert 'id="bulk-skipped"' in shown and "Fair Firm 00 GmbH" in shown
    with app.app_context():
        leads = db.session.scalars(select(Lead).where(Lead.id.in_(fair["fair"]))).all()
        assert all(lead.tags == ["hot"] for lead in leads)


def test_the_progress_is_polled_until_the_run_ends(app, cast, fair, small_requests):
    client = signed_in(app, cast.manager)
    _, page = preview(client, event=fair["event"], scope="all", action="tag", tag="x")
    location = run(client, page).headers["Location"]
    polled = client.get(location + "/progress", headers={"HX-Request": "true"})
    assert polled.status_code == 200
    assert polled.headers.get("HX-Refresh") == "true"  # done: the whole page again
    assert "The bulk action has finished." in polled.get_data(as_text=True)
    with app.app_context():
        bulk_run = db.session.scalars(select(BulkRun)).one()
        bulk_run.status, bulk_run.done = "running", 0
        db.session.commit()
    running = client.get(location).get_data(as_text=True)
    assert 'id="bulk-progress-bar"' in running and "hx-trigger" in running


def test_another_officers_run_is_not_found(app, cast, fair, small_requests):
    client = signed_in(app, cast.manager)
    _, page = preview(client, event=fair["event"], scope="all", action="tag", tag="x")
    location = run(client, page).headers["Location"]
    officer = signed_in(app, cast.officer)
    assert officer.get(location).status_code == 404
    assert officer.get(location + "/progress").status_code == 404
    assert client.get("/crm/leads/bulk/runs/999999").status_code == 404


def test_past_the_queued_limit_the_selection_is_refused(app, cast, fair, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_QUEUED", 5)
    client = signed_in(app, cast.manager)
    response, page = preview(client, scope="all", action="tag", tag="x")
    assert response.status_code == 400
    assert "a bulk action takes at most 5 at a time" in page


def test_a_run_whose_leads_changed_before_the_worker_took_it_changes_nothing(
    app, cast, fair, small_requests, monkeypatch
):
    client = signed_in(app, cast.manager)
    _, page = preview(client, event=fair["event"], scope="all", action="tag", tag="x")
    from crm.leads import bulk_jobs

    started = bulk_jobs.start

    def tag_one_first(*args):
        # Between the preview's check and the worker's run, someone tags one lead.
        with app.app_context():
            db.session.get(Lead, fair["fair"][0]).tags = ["x"]
            db.session.commit()
        return started(*args)

    monkeypatch.setattr(bulk_jobs, "start", tag_one_first)
    shown = client.get(run(client, page).headers["Location"]).get_data(as_text=True)
    assert 'data-status="failed"' in shown and "the leads changed since the preview" in shown
    with app.app_context():
        assert audit_count(fair["fair"], "update") == 0
        leads = db.session.scalars(select(Lead).where(Lead.id.in_(fair["fair"][1:]))).all()
        assert all("x" not in (lead.tags or []) for lead in leads)


def test_a_run_whose_worker_went_silent_is_marked_failed(app, cast):
    from datetime import timedelta

    from core.models.base import utcnow
    from crm.leads import bulk_jobs

    with app.app_context():
        old = utcnow() - timedelta(minutes=app.config["IMPORT_STALE_MINUTES"] + 1)
        silent = BulkRun(user_id=cast.manager, action="tag", status="running", total=3,
                         created_at=old)  # fmt: skip
        fresh = BulkRun(user_id=cast.manager, action="tag", status="running", total=3)
        db.session.add_all([silent, fresh])
        db.session.commit()
        lines = bulk_jobs.reap_stale()
        assert lines[-1] == "reaped: 1 bulk run(s)"
        db.session.expire_all()
        assert silent.status == "failed" and silent.error
        assert fresh.status == "running"
    client = signed_in(app, cast.admin)
    assert "reap-bulk-runs" in client.get("/crm/jobs").get_data(as_text=True)
