"""The Alembic head builds exactly the schema the models describe."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from core import create_app
from core.extensions import db
from tests.conftest import TEST_DATABASE_URL, make_config


def test_head_matches_models(tmp_path):
    uri = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=uri))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")


def test_head_matches_models_on_postgresql(tmp_path):
    if not TEST_DATABASE_URL:
        return
    app = create_app(make_config(tmp_path))
    with app.app_context():
        db.drop_all()
        db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        db.create_all()


def test_furthest_stage_and_stay_ends_are_worked_out_from_the_history(tmp_path):
    """Leads that moved before the columns existed get them from their stage changes."""
    uri = f"sqlite:///{tmp_path / 'history.db'}"
    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=uri))
    with app.app_context():
        upgrade(revision="fbbed2d5cb32")
        tables = sa.MetaData()
        leads, changes = (
            sa.Table(n, tables, autoload_with=db.engine) for n in ("lead", "stage_change")
        )
        created = datetime(2026, 3, 1, 1, 0)
        lead = {
            "created_at": created, "updated_at": created, "stage_changed_at": created,
            "version_id": 1, "source": "website", "country": "DE", "industry": "x",
            "investment_currency": "CNY", "language": "de", "lost_note": "", "search_text": "",
            "company_key": "", "legal_hold": False,
        }  # fmt: skip
        moves = {  # lead id: its current stage and its history
            1: ("qualified", ["new", "contacted", "qualified", "site_visit", "qualified"]),
            2: ("lost", ["new", "contacted", "lost"]),
            3: ("new", []),  # no history at all
        }
        for lead_id, (stage, history) in moves.items():
            db.session.execute(
                leads.insert().values(
                    id=lead_id, company_name=f"Firm {lead_id}", stage=stage, **lead
                )
            )
            for day, to_stage in enumerate(history):
                db.session.execute(
                    changes.insert().values(
                        lead_id=lead_id,
                        to_stage=to_stage,
                        at=created + timedelta(days=day),
                        note="",
                    )
                )
        db.session.commit()
        upgrade()
        furthest = dict(db.session.execute(db.text("SELECT id, furthest_stage FROM lead")).all())
        assert furthest == {1: "site_visit", 2: "contacted", 3: "new"}
        ends = db.session.execute(
            db.text("SELECT to_stage, ended_at FROM stage_change WHERE lead_id = 1 ORDER BY id")
        ).all()
        assert [str(end)[:10] if end else None for _, end in ends] == [
            "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", None,
        ]  # fmt: skip
        db.session.remove()
        downgrade(revision="base")
