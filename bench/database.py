"""A database with the demo data for a bench: a temporary SQLite file, or a PostgreSQL database
created and dropped around the run, or one given by BENCH_DATABASE_URL."""

import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.settings import ROOT, HarnessError, Options


@dataclass(frozen=True)
class Database:
    url: str
    # e.g. "SQLite 3.40.1" or "PostgreSQL 15.8": recorded beside the figures.
    label: str
    # Short name for the results section: sqlite or postgresql.
    kind: str


def backend(options: Options) -> tuple[str, str]:
    """(kind, name) of the database a run uses, known before it is created."""
    url = options.database_url or ""
    if options.pg_server or url.startswith(("postgres://", "postgresql")):
        return "postgresql", "PostgreSQL"
    return "sqlite", "SQLite"


@contextmanager
def demo_database(options: Options, workdir: Path, env: dict) -> Iterator[Database]:
    """Yield a migrated database holding the demo content; `env` is the app's environment."""
    if options.database_url:
        database = _describe(options.database_url)
        _load_demo(database, env)
        yield database
    elif options.pg_server:
        with _created_pg_database(options.pg_server) as url:
            database = _describe(url)
            _load_demo(database, env)
            yield database
    else:
        database = _describe(f"sqlite:///{workdir / 'bench.db'}")
        _load_demo(database, env)
        yield database


def _load_demo(database: Database, env: dict) -> None:
    env = {**env, "DATABASE_URL": database.url}
    for args in (["db", "upgrade"], ["load-demo"]):
        command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip().splitlines()[-20:]
            raise HarnessError(f"`flask {' '.join(args)}` failed:\n" + "\n".join(output))


def _describe(url: str) -> Database:
    if url.startswith("sqlite"):
        return Database(url, f"SQLite {sqlite3.sqlite_version}", "sqlite")
    if url.startswith(("postgres://", "postgresql")):
        return Database(url, f"PostgreSQL {_pg_version(url)}", "postgresql")
    raise HarnessError(f"unsupported database URL for the bench: {url.split(':', 1)[0]}")


def _pg_connect(url: str):
    import psycopg

    try:
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        return psycopg.connect(plain, autocommit=True)
    except psycopg.OperationalError as exc:
        raise HarnessError(f"cannot reach PostgreSQL: {exc}") from exc


def _pg_version(url: str) -> str:
    with _pg_connect(url) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


@contextmanager
def _created_pg_database(server_url: str) -> Iterator[str]:
    from psycopg import sql

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with _pg_connect(server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlsplit(server_url)._replace(path=f"/{name}").geturl()
    finally:
        with _pg_connect(server_url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextmanager
def fresh_database(options: Options, name: str) -> Iterator[str]:
    """An empty database for a bench that fills its own: SQLite in a temporary folder, or a
    PostgreSQL database made for the run and dropped after it."""
    if not options.pg_server:
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            yield f"sqlite:///{Path(tmp) / f'{name}.db'}"
        return
    with _created_pg_database(options.pg_server) as url:
        yield url


def settle(engine, last_id: int) -> None:
    """After a bulk load with explicit ids, leave the tables as autovacuum would: statistics, and
    on PostgreSQL the id sequence past the loaded rows and a visibility map for index-only scans
    (VACUUM cannot run inside a transaction)."""
    from sqlalchemy import text

    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    elif engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT setval('lead_id_seq', :n)"), {"n": last_id})
            conn.execute(text("VACUUM ANALYZE"))
