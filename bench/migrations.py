"""The data migrations at 150,000 leads with stage history: `flask db upgrade` timed one revision
at a time from the revision before the first data migration, beside a no-op upgrade and, when
asked, the stage-history migration's body as first written, row by row (× column: time over
the body as shipped)."""

import os
import sys
import time

from bench.database import _describe, fresh_database, settle
from bench.history import fill, old_stay_ends_and_furthest_stages
from bench.report import Line, Row
from bench.settings import Options

LEADS = int(os.environ.get("BENCH_MIGRATION_LEADS", "150000"))
# BENCH_MIGRATION_OLD=1 also times the row-by-row form (about 5 minutes on PostgreSQL).
OLD = os.environ.get("BENCH_MIGRATION_OLD") == "1"
TITLE = f"Migrations at {LEADS:,} leads with stage history (`flask db upgrade`, timed per step)"
BEFORE = "57969eaca615"  # the revision before the first data migration
STEPS = (
    ("3b40dec30198", "company keys recomputed (Python, one UPDATE ... FROM)"),
    ("d90b43253fd6", "enterprises; lead rebuilt on SQLite (batch mode)"),
    ("fbbed2d5cb32", "projects, plots; no lead data"),
    ("ec6688513c34", "stay ends and furthest stages (two set-based UPDATEs)"),
    ("a7c3e91d5b20", "referral team"),
    ("c4e2a91f7d36", "stored files: a new table"),
    ("jobs0001", "job runs, import reviews: new tables"),
)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _upgrade(app, revision: str = "heads") -> float:
    """Seconds `flask db upgrade REV` spends migrating (in-process: no start-up in the figure)."""
    from flask_migrate import upgrade

    from core.extensions import db

    with app.app_context():
        started = time.perf_counter()
        upgrade(revision=revision)
        seconds = time.perf_counter() - started
        db.engine.dispose()
    return seconds


def _engine(url: str):
    from sqlalchemy import create_engine

    from core.config import database_url

    return create_engine(database_url(url))


def _app(url: str):
    from core import create_app
    from core.config import database_url

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url(url)})


def run(options: Options) -> list[Row | Line]:
    if options.database_url:
        return [Row("migrations", alarm="not measured: this bench makes its own database")]
    with fresh_database(options, "migrations") as url:
        label = _describe(url).label
        app = _app(url)
        _upgrade(app, BEFORE)
        engine = _engine(url)
        started = time.perf_counter()
        with engine.begin() as connection:
            changes = fill(connection, LEADS)
        settle(engine, LEADS)
        generated = time.perf_counter() - started
        _say(f"migrations: {LEADS:,} leads, {changes:,} stage changes in {generated:.1f} s")
        rows, compared = [], []
        for revision, what in STEPS:
            if revision == "ec6688513c34":
                compared = _bodies(engine)
            seconds = _upgrade(app, revision)
            _say(f"migrations: {revision} in {seconds:.1f} s")
            rows.append(
                Row(f"{revision}: {what}", per_second=LEADS / seconds, note=f"{seconds:.2f} s")
            )
        rows.append(Row("no-op upgrade at head", note=f"{_upgrade(app):.2f} s"))
        total = sum(float(row.note.removesuffix(" s")) for row in rows[:-1])
        rows += compared
        engine.dispose()
    return [
        *rows,
        Line("total", f"{total:.1f} s for {len(STEPS)} revisions"),
        Line("database", f"{label}, fresh, migrated to {BEFORE} with `flask db upgrade`"),
        Line(
            "data",
            f"{LEADS:,} leads (Chinese and European firm names, stale company keys) with "
            f"{changes:,} stage changes (0-6 per lead, forward with some steps back and losses, "
            f"ties in time, ids out of time order), written with Core in {generated:.1f} s",
        ),
        Line(
            "method",
            "each row is what `flask db upgrade REV` runs (flask_migrate.upgrade, in-process "
            "on one app: no start-up in the figures); leads/s in the req/s column",
        ),
    ]


def _bodies(engine) -> list[Row]:
    """ec6688513c34's work on the data before it runs: as shipped and (when asked) as first
    written, each in a transaction rolled back after, so both start from the same tables."""
    from sqlalchemy import text

    migration = _migration("ec6688513c34")
    postgresql = engine.dialect.name == "postgresql"
    stamp = "TIMESTAMP WITH TIME ZONE" if postgresql else "DATETIME"
    columns = [
        "ALTER TABLE lead ADD COLUMN furthest_stage VARCHAR(20) DEFAULT 'new' NOT NULL",
        f"ALTER TABLE stage_change ADD COLUMN ended_at {stamp}",
    ]
    drop = ["DROP INDEX ix_lead_created_at", "DROP INDEX ix_stage_change_at"]
    create = [
        "CREATE INDEX ix_lead_created_at ON lead (created_at) INCLUDE (id, merged_into_id,"
        " furthest_stage, source, event_id, country, referrer_enterprise_id)",
        "CREATE INDEX ix_stage_change_at ON stage_change (at)"
        " INCLUDE (lead_id, to_stage, ended_at)",
    ]
    if not postgresql:
        drop = create = []
    shipped = ("set-based (as shipped)", [migration.STAY_ENDS, migration.FURTHEST_STAGES], True)
    forms = [shipped]
    if OLD:  # the shipped form runs again after it: neither gets the only warm cache
        forms += [("row-by-row (as first written)", old_stay_ends_and_furthest_stages, False)]
        forms += [shipped]
    times: dict[str, list[float]] = {}
    for name, work, drop_first in forms:
        # An explicit transaction: pysqlite would run the ALTERs outside the one it opens itself.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("BEGIN")
            started = time.perf_counter()
            for statement in columns + (drop if drop_first else []):
                connection.execute(text(statement))
            if callable(work):
                work(connection)
            else:
                for statement in work:
                    connection.execute(text(statement))
            for statement in ([] if drop_first else drop) + create:
                connection.execute(text(statement))
            seconds = time.perf_counter() - started
            connection.exec_driver_sql("ROLLBACK")
        _say(f"migrations: ec6688513c34 body, {name}, in {seconds:.1f} s")
        times.setdefault(name, []).append(seconds)
    best = min(times[shipped[0]])
    return [
        Row(
            f"ec6688513c34 body, {name}, rolled back"
            + (f" (best of {len(runs)})" if len(runs) > 1 else ""),
            per_second=LEADS / min(runs),
            ratio=min(runs) / best,
            note=", ".join(f"{run:.2f} s" for run in runs),
        )
        for name, runs in times.items()
    ]


def _migration(revision: str):
    import importlib.util

    from bench.settings import ROOT

    path = next((ROOT / "migrations" / "versions").glob(f"{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
