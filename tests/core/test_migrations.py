"""The Alembic head builds exactly the schema the models describe."""

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
