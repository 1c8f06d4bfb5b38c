"""The review of a large import: matched once on the worker and stored, read by every page of the
review; a poll while the worker matches; gone with the file (retention, anonymisation)."""

import pytest
from sqlalchemy import select

from core import jobs as queue
from core.extensions import db
from core.imports import checking
from core.imports import review_store as store
from core.imports.retention import remove_uploads
from core.models import ImportJob, ImportReview
from tests.crm.test_imports import (
    STANDARD,
    existing,  # noqa: F401  (a fixture)
    mapped_job,
    review,
    save_mapping,
)
from tests.factories import make_cast, signed_in


@pytest.fixture
def cast(app):
    with app.app_context():
        return make_cast()


@pytest.fixture
def large(app, monkeypatch):
    """Every import counts as large (over IMPORT_INLINE_ROWS); matching is counted."""
    app.config["IMPORT_INLINE_ROWS"] = 0
    calls = []
    real = checking.check_rows

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "check_rows", counted)
    return calls


def test_the_matches_are_computed_once_and_every_page_reads_them(
    app,
    cast,
    existing,  # noqa: F811
    large,
):
    client = signed_in(app, cast.officer)
    job_id = mapped_job(app, client)
    page = client.get(f"/crm/imports/{job_id}/review").get_data(as_text=True)
    assert f'href="/crm/leads/{existing}"' in page  # the test queue matched at once
    assert '<option value="merge" selected>' in page
    client.get(f"/crm/imports/{job_id}/review?show=all&page=1")
    assert review(client, job_id, {1: "create"}).status_code == 302  # decisions still saved
    assert len(large) == 1
    with app.app_context():
        assert db.session.get(ImportJob, job_id).decisions == {"1": "create"}
    # Another mapping: matched again.
    assert save_mapping(client, job_id, {**STANDARD, 5: ""}).status_code == 302
    client.get(f"/crm/imports/{job_id}/review")
    assert len(large) == 2
    # The run matches afresh (leads change meanwhile) and the review stays for a dry run's sake.
    assert review(client, job_id, {}, action="run", rows=[]).status_code == 302
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert (job.status, job.merged) == ("done", 1)


def test_while_the_worker_matches_the_page_says_so_and_polls(app, cast, large, monkeypatch):
    client = signed_in(app, cast.officer)
    job_id = mapped_job(app, client)
    monkeypatch.setattr(queue, "enqueue", lambda *args: True)  # a busy worker: not yet
    response = client.get(f"/crm/imports/{job_id}/review")
    assert response.status_code == 200
    assert f'hx-get="/crm/imports/{job_id}/review?poll=1"' in response.get_data(as_text=True)
    poll = client.get(f"/crm/imports/{job_id}/review?poll=1", headers={"HX-Request": "true"})
    assert 'id="review-waiting"' in poll.get_data(as_text=True) and "HX-Refresh" not in poll.headers
    with app.app_context():  # the worker's turn
        store.prepare_review.call_local(job_id, store.key_of(db.session.get(ImportJob, job_id)))
    poll = client.get(f"/crm/imports/{job_id}/review?poll=1", headers={"HX-Request": "true"})
    assert poll.headers["HX-Refresh"] == "true"
    page = client.get(f"/crm/imports/{job_id}/review?show=all").get_data(as_text=True)
    assert 'name="decision-1"' in page
    assert len(large) == 1


def test_the_stored_review_goes_with_the_file(app, cast, large):
    client = signed_in(app, cast.officer)
    job_id = mapped_job(app, client)
    client.get(f"/crm/imports/{job_id}/review")
    with app.app_context():
        assert db.session.get(ImportReview, job_id) is not None
        app.config["IMPORT_FILE_DAYS"] = -1
        assert [job.id for job in remove_uploads()] == [job_id]
        assert db.session.scalars(select(ImportReview)).all() == []
