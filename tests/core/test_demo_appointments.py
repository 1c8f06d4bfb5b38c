"""The demo's visits and meetings: in the Europe desk officer's calendar, ahead, not mailed."""

from sqlalchemy import select

from core.extensions import db
from core.models import Appointment, OutboxEmail
from core.models.base import utcnow


def test_the_demo_officer_has_a_visit_and_a_meeting_ahead(app, demo):
    assert "demo visits and meetings: 2 created" in demo
    with app.app_context():
        visits = db.session.scalars(select(Appointment)).all()
        assert {a.kind for a in visits} == {"site_visit", "meeting"}
        assert all(a.starts_at > utcnow() and a.status == "scheduled" for a in visits)
        assert all(a.organiser.email == "officer@qingyuan-port.example" for a in visits)
        kinds = set(db.session.scalars(select(OutboxEmail.kind)))
        assert not {k for k in kinds if k.startswith("appointment_")}
