"""Company keys written before 蓝光电子 was cut as 蓝光 / 电子 are recomputed by keys0001."""

import sqlalchemy as sa
from flask_migrate import upgrade

from core.extensions import db
from tests.migrations.test_set_based import _database

STALE = "chengdu lan optoelectronics zi"  # the old greedy cut of 成都蓝光电子有限公司


def _insert_lead(values: dict) -> None:
    # Every required column of the schema of the time, filled plainly, then the ones we mean.
    row = {}
    for _, name, kind, notnull, default, primary in db.session.execute(
        sa.text("PRAGMA table_info(lead)")
    ):
        if notnull and default is None and not primary:
            row[name] = 0 if kind.upper() in ("INTEGER", "BOOLEAN", "NUMERIC") else ""
    row.update(values, tags="[]", created_at="2026-12-01", updated_at="2026-12-01")
    db.session.execute(sa.table("lead", *map(sa.column, row)).insert().values(**row))


def test_the_migration_recomputes_stale_keys_and_leaves_anonymised_ones(tmp_path):
    with _database(tmp_path, "sqlite") as app, app.app_context():
        upgrade(revision="conf0001")
        _insert_lead({"id": 1, "code_name": "A-1", "company_name": "成都蓝光电子有限公司",
                      "company_key": STALE})  # fmt: skip
        _insert_lead({"id": 2, "code_name": "A-2", "company_name": "Anonymised", "company_key": ""})
        db.session.commit()
        upgrade()
        keys = dict(db.session.execute(sa.text("SELECT id, company_key FROM lead")).all())
        assert keys == {1: "chengdu languang electronics", 2: ""}
