"""search0001 rewrites the search text of the leads already there, and creates the alias table."""

from datetime import datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from core import create_app
from core.extensions import db
from tests.conftest import TEST_DATABASE_URL, make_config


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_leads_already_there_are_found_the_new_ways(tmp_path, backend):
    if backend == "postgresql" and not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    uri = f"sqlite:///{tmp_path / 'search.db'}" if backend == "sqlite" else None
    app = create_app(make_config(tmp_path, **({"SQLALCHEMY_DATABASE_URI": uri} if uri else {})))
    with app.app_context():
        if backend == "postgresql":
            db.drop_all()
            db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
        upgrade(revision="jobs0001")
        tables = sa.MetaData()
        leads, contacts = (
            sa.Table(n, tables, autoload_with=db.engine) for n in ("lead", "contact")
        )
        at = datetime(2026, 3, 1, 1, 0)
        common = {
            "created_at": at, "updated_at": at, "stage_changed_at": at, "version_id": 1,
            "source": "website", "industry": "x", "investment_currency": "CNY", "stage": "new",
            "lost_note": "", "company_key": "", "legal_hold": False,
        }  # fmt: skip
        db.session.execute(
            leads.insert(),
            [
                {"id": 1, "company_name": "成都天府精密机械有限公司", "country": "CN",
                 "language": "zh", "code_name": "Crane-00001", "search_text": "old", **common},
                {"id": 2, "company_name": "Müller GmbH", "country": "DE", "language": "de",
                 "code_name": "Bamboo-00002", "search_text": "old", **common},
            ],
        )  # fmt: skip
        db.session.execute(
            contacts.insert(),
            [
                {"lead_id": 1, "created_at": at, "name": "王芳", "email": "wf@tianfu.cn",
                 "phone": "+862887654321", "language": "zh"},
                {"lead_id": 2, "created_at": at, "name": "Jörg Weiß", "email": None,
                 "phone": None, "language": "de"},
            ],
        )  # fmt: skip
        db.session.commit()
        upgrade()
        texts = dict(db.session.execute(db.text("SELECT id, search_text FROM lead")).all())
        for word in ("tfjm", " 天府 ", "wangfang", "02887654321", "wf@tianfu.cn", "crane-00001"):
            assert word in texts[1], word
        for word in ("muller", "mueller", "jorg", "weiss", "bamboo-00002"):
            assert word in texts[2], word
        assert db.session.execute(db.text("SELECT count(*) FROM lead_alias")).scalar() == 0
        db.session.remove()
        downgrade(revision="base")
        if backend == "postgresql":
            db.create_all()
