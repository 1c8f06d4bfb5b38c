"""The data migrations, written set-based, give what their row-by-row first versions gave: both
run on the same generated history (bench/history.py), the old one kept here as the reference."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import make_url

from bench.history import FORWARD, fill, old_stay_ends_and_furthest_stages
from core import create_app
from core.extensions import db
from core.matching import normalise_company
from tests.conftest import TEST_DATABASE_URL, make_config
from tests.databases import create_database, named

LEADS = 400


@contextmanager
def _database(tmp_path, backend: str):
    """An app on an empty database of its own: a SQLite file, or a PostgreSQL database."""
    if backend == "sqlite":
        yield create_app(
            make_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/m.db")
        )
        return
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    url = named(TEST_DATABASE_URL, f"{make_url(TEST_DATABASE_URL).database}_migrations")
    create_database(url)
    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        create_database(url)  # left empty rather than dropped: the next run recreates it anyway


def _rows(sql: str) -> list:
    return [tuple(row) for row in db.session.execute(sa.text(sql)).all()]


def _old_company_keys() -> None:
    """3b40dec30198 as first written: every lead read, one UPDATE per changed key."""
    rows = db.session.execute(
        sa.text("SELECT id, company_name, company_name_latin, company_key FROM lead")
    ).all()
    for row in rows:
        key = normalise_company(row.company_name_latin or row.company_name or "")[:200]
        if key != row.company_key:
            db.session.execute(
                sa.text("UPDATE lead SET company_key = :key WHERE id = :id"),
                {"key": key, "id": row.id},
            )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_set_based_migrations_match_the_row_by_row_ones(tmp_path, backend):
    with _database(tmp_path, backend) as app, app.app_context():
        upgrade(revision="57969eaca615")
        with db.engine.begin() as connection:
            changes = fill(connection, LEADS)
        assert changes > LEADS  # enough history to order, tie and end
        stale = _rows("SELECT id, company_key FROM lead ORDER BY id")

        upgrade(revision="3b40dec30198")
        new_keys = _rows("SELECT id, company_key FROM lead ORDER BY id")
        db.session.execute(
            sa.text("UPDATE lead SET company_key = :key WHERE id = :id"),
            [{"id": lead_id, "key": key} for lead_id, key in stale],
        )
        _old_company_keys()
        assert _rows("SELECT id, company_key FROM lead ORDER BY id") == new_keys
        assert new_keys != stale
        db.session.commit()

        upgrade(revision="ec6688513c34")
        new_ends = _rows("SELECT id, ended_at FROM stage_change ORDER BY id")
        new_furthest = _rows("SELECT id, furthest_stage FROM lead ORDER BY id")
        # SQLite's batch rebuild of `lead` (d90b43253fd6) once cascaded into the history.
        assert len(new_ends) == changes
        db.session.execute(sa.text("UPDATE stage_change SET ended_at = NULL"))
        db.session.execute(sa.text("UPDATE lead SET furthest_stage = 'new'"))
        old_stay_ends_and_furthest_stages(db.session.connection())
        assert _rows("SELECT id, ended_at FROM stage_change ORDER BY id") == new_ends
        assert _rows("SELECT id, furthest_stage FROM lead ORDER BY id") == new_furthest
        # Not vacuous: every outcome is there.
        assert {stage for _, stage in new_furthest} == set(FORWARD)
        assert sum(end is None for _, end in new_ends) == len(
            {lead for lead, _ in new_furthest}
            & {lead for (lead,) in _rows("SELECT DISTINCT lead_id FROM stage_change")}
        )
        db.session.rollback()
        db.session.remove()
