"""One unit of work per request: commit once on success, nothing on failure or on reading,
mail only after the commit, a lost race answered as a conflict."""

import pytest
from flask import abort, redirect, request
from sqlalchemy import select, update

from core import create_app, outbox
from core.extensions import db
from core.models import Lead, OutboxEmail
from tests.conftest import DeliveringClient, make_config
from tests.factories import make_lead
from tests.smtp import SMTPServer


@pytest.fixture
def probe(app, tmp_path):
    """An app of its own (routes cannot be added to the shared one once it served), on the
    same clean database, with routes that change a lead and answer as told."""
    probe = create_app(make_config(tmp_path, WTF_CSRF_ENABLED=False))
    probe.test_client_class = DeliveringClient

    def change(lead_id: int):
        lead = db.session.get(Lead, lead_id)
        if request.values.get("race"):
            # Another request saves the lead between our read and our write.
            db.session.execute(
                update(Lead).where(Lead.id == lead_id).values(version_id=Lead.version_id + 1),
                execution_options={"synchronize_session": False},
            )
        lead.company_name = request.values["name"]
        if request.values.get("mail"):
            outbox.queue(
                kind="crm", to="anna@example.com", language="en", subject="Hello", body="Hi"
            )
        status = int(request.values.get("status", 303))
        if status == 303:
            return redirect("/done", code=303)
        abort(status)

    probe.add_url_rule("/probe/<int:lead_id>", view_func=change, methods=["GET", "POST"])
    with probe.app_context():
        db.create_all()
        lead_id = make_lead("Before GmbH").id
        db.session.commit()
    probe.lead_id = lead_id
    yield probe
    with probe.app_context():
        db.session.remove()
        db.engine.dispose()


def name_of(probe) -> str:
    with probe.app_context():
        return db.session.get(Lead, probe.lead_id).company_name


def test_a_successful_post_commits_what_the_view_changed(probe):
    response = probe.test_client().post(f"/probe/{probe.lead_id}", data={"name": "After AG"})
    assert response.status_code == 303
    assert name_of(probe) == "After AG"


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_a_refused_post_saves_nothing(probe, status):
    response = probe.test_client().post(
        f"/probe/{probe.lead_id}", data={"name": "After AG", "status": status, "mail": "y"}
    )
    assert response.status_code == status
    assert name_of(probe) == "Before GmbH"
    with probe.app_context():
        assert db.session.scalars(select(OutboxEmail)).all() == []


def test_a_reading_request_never_writes(probe):
    response = probe.test_client().get(f"/probe/{probe.lead_id}?name=After+AG")
    assert response.status_code == 303
    assert name_of(probe) == "Before GmbH"


def test_mail_leaves_after_the_commit_and_after_the_answer(probe):
    with SMTPServer() as server:
        server.point(probe)
        response = probe.test_client().post(
            f"/probe/{probe.lead_id}", data={"name": "After AG", "mail": "y"}, buffered=False
        )
        assert response.status_code == 303
        with probe.app_context():
            email = db.session.scalar(select(OutboxEmail))
            assert (email.status, email.attempts) == ("queued", 0)  # committed, not yet sent
        assert server.received == []
        response.close()  # the answer is delivered
        assert [m.subject for m in server.received] == ["Hello"]
        with probe.app_context():
            assert db.session.scalar(select(OutboxEmail.status)) == "sent"


def test_a_save_that_lost_the_race_is_a_conflict_and_sends_nothing(probe):
    with SMTPServer() as server:
        server.point(probe)
        response = probe.test_client().post(
            f"/probe/{probe.lead_id}",
            data={"name": "After AG", "mail": "y", "race": "y"},
            headers={"Accept-Language": "en"},
        )
        assert response.status_code == 409
        assert "Nothing was saved" in response.get_data(as_text=True)
        # Still the answer of this app: the security headers are on it.
        assert "Content-Security-Policy" in response.headers
        assert server.received == []
    assert name_of(probe) == "Before GmbH"
    with probe.app_context():
        assert db.session.scalars(select(OutboxEmail)).all() == []
