"""How the app talks to its database server."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from core.extensions import db
from core.models import Lead
from tests.conftest import TEST_DATABASE_URL


def test_statements_are_planned_for_their_values_on_postgresql(app):
    """A statement run again and again is not prepared once for any values: a year's report
    must not get the plan of a week's (and a pooler in transaction mode keeps no statements)."""
    if not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL only: the suite runs on SQLite")
    with app.app_context():
        since = datetime(2026, 1, 1, tzinfo=UTC)
        for _ in range(8):
            db.session.execute(select(Lead.id).where(Lead.created_at >= since)).all()
        prepared = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
        assert prepared == 0


def test_an_anonymised_name_leaves_no_trace_in_the_sqlite_file(app):
    """secure_delete: what an erasure overwrote is zeroed, not left in the file's free space."""
    if TEST_DATABASE_URL:
        pytest.skip("SQLite only")
    from tests.factories import make_lead

    with app.app_context():
        assert db.session.scalar(text("PRAGMA secure_delete")) == 1
        lead = make_lead("Geheimname Präzisionstechnik GmbH")
        db.session.commit()
        lead.company_name = "anonymised"
        db.session.commit()
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        path = db.engine.url.database
    data = open(path, "rb").read()  # noqa: SIM115 - read at once
    assert b"Geheimname" not in data
