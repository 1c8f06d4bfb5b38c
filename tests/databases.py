"""The test databases: one per pytest-xdist worker, and saved copies (templates) a test starts from.

On SQLite a template is a file written with SQLite's backup API; on PostgreSQL a database made
with `CREATE DATABASE … TEMPLATE`, which refuses while anyone else is connected to its source,
so the app's engine is disposed first and stray connections (an app a test built) are ended.
"""

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import create_engine, false, make_url, text, update
from sqlalchemy.pool import NullPool

from core.config import database_url
from core.extensions import db
from core.models import Plot

# gw0, gw1… under pytest-xdist (set before conftest is imported); None in a single process.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def worker_url(url: str | None) -> str | None:
    """This worker's own PostgreSQL database on the server TEST_DATABASE_URL names."""
    if not url or not WORKER:
        return url
    return named(url, f"{make_url(url).database}_{WORKER}")


def named(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def own_database(url: str | None, folder: Path, suffix: str) -> str:
    """A database for an app a test serves beside the worker's (whose tests empty theirs): on
    PostgreSQL a fresh `<url's database>_<suffix>`, else an SQLite file in folder."""
    if not url:
        return f"sqlite:///{folder / f'{suffix}.db'}"
    own = named(url, f"{make_url(url).database}_{suffix}")
    create_database(own)
    return database_url(own)


def _server(url: str):
    """A connection to the server's maintenance database, outside any transaction."""
    engine = create_engine(
        database_url(named(url, "postgres")), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    return engine.connect()


def _disconnect(connection, database: str) -> None:
    connection.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = :name AND pid <> pg_backend_pid()"
        ),
        {"name": database},
    )


def create_database(url: str, template: str | None = None) -> None:
    """(Re)create the PostgreSQL database url names, empty or as a copy of template."""
    database = make_url(url).database
    with _server(url) as connection:
        _disconnect(connection, database)
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        if template:
            _disconnect(connection, template)
            connection.execute(text(f'CREATE DATABASE "{database}" TEMPLATE "{template}"'))
        else:
            connection.execute(text(f'CREATE DATABASE "{database}"'))


def template_name(app, folder: Path, name: str) -> str:
    """Where a template of app's database lives: a file in folder, or a database on its server."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return str(folder / f"{name}.db")
    return f"{url.database.removesuffix(f'_{WORKER}')}_{name}"


def _sqlite_copy(source: str, target: str) -> None:
    # The backup API reads through the WAL and writes pages the pooled connections then see.
    with closing(sqlite3.connect(source)) as reader, closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)


def save(app, template: str) -> None:
    """Copy app's database (committed state) to template."""
    db.session.remove()
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(url.database, template)
        return
    db.engine.dispose()
    server = url.render_as_string(hide_password=False)
    create_database(named(server, template), template=url.database)


def restore(app, template: str) -> None:
    """Make app's database the copy saved in template."""
    db.session.remove()
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(template, url.database)
    else:
        db.engine.dispose()
        create_database(url.render_as_string(hide_password=False), template=template)
    # No session saw the plots change: an UPDATE of none of them tells the public page cache, as
    # deleting and reloading them did, so no page rendered by an earlier test is served.
    db.session.execute(update(Plot).where(false()))
    db.session.commit()


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """One worker at a time (the others wait): for work done once per test run."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_folder(tmp_path_factory) -> Path:
    """The temporary folder of this test run, shared by its workers."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if WORKER else base
