"""`flask backup` and `flask restore`: one archive folder holding the database (pg_dump's custom
format, or SQLite's online backup), the uploaded files on disk and a manifest (version, Alembic
revision, rows per table, sha256 of every file) that a restore is checked against."""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from sqlalchemy import make_url

from core.config import ROOT
from core.extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP_FILE, SQLITE_FILE, FILES = "database.dump", "database.sqlite3", "files"
LARGE_OBJECTS = "(large objects)"
# What the archive leaves out on purpose, written into every manifest so a reader knows.
NOT_INCLUDED = [
    "content/: the park's content ships with the release (restore the release's checkout)",
    "the environment file (secrets): kept by the operator, not with the data",
]


class BackupError(click.ClickException):
    """A backup or restore refused or failed: a message for the operator, exit status 1."""


@dataclass(frozen=True)
class Check:
    what: str
    expected: object
    found: object

    @property
    def ok(self) -> bool:
        return self.expected == self.found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_entry(path: Path) -> dict:
    return {"sha256": _sha256(path), "bytes": path.stat().st_size}


def _files_under(folder: Path) -> dict[str, dict]:
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): _file_entry(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _url() -> sa.URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


# --- what is in the database -------------------------------------------------------------------


def _table_names(connection) -> list[str]:
    names = sa.inspect(connection).get_table_names()
    if connection.dialect.name == "sqlite":  # FTS5 and other virtual tables hold rows too
        names = connection.scalars(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'table'")
        ).all()
    return sorted(name for name in names if not name.startswith("sqlite_"))


def row_counts(connection) -> dict[str, int]:
    """Rows per table (and large objects on PostgreSQL), as one transaction sees them."""
    counts = {
        name: connection.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
        for name in _table_names(connection)
    }
    if connection.dialect.name == "postgresql":
        counts[LARGE_OBJECTS] = connection.scalar(
            sa.text("SELECT count(*) FROM pg_largeobject_metadata")
        )
    return counts


def _revision(counts: dict, connection) -> str | None:
    if "alembic_version" not in counts:
        return None
    heads = connection.scalars(sa.text("SELECT version_num FROM alembic_version")).all()
    return ",".join(sorted(heads)) or None


# --- PostgreSQL through its client tools ---------------------------------------------------------


def _libpq(url: sa.URL) -> tuple[str, dict]:
    """A libpq URL without the password (not on the command line), and the environment with it."""
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return plain, env


def _tool(name: str, connection) -> str:
    """The tool's path, refused when it is older than the server (it cannot read its catalogs)."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    # Arguments here and in _run are ours: the tool's path, the configured URL, the archive path.
    said = subprocess.run([path, "--version"], capture_output=True, text=True).stdout  # noqa: S603
    tool_major = int(re.search(r"\)\s*(\d+)", said).group(1))  # "pg_dump (PostgreSQL) 15.20"
    server_major = int(connection.scalar(sa.text("SHOW server_version_num"))) // 10000
    if tool_major < server_major:
        raise BackupError(
            f"{said.strip()} is older than the server (PostgreSQL {server_major}): "
            f"install postgresql-client-{server_major}"
        )
    return path


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed:\n{done.stderr.strip()}")


def _dump_postgresql(target: Path) -> dict:
    """pg_dump in the very snapshot the row counts are taken in, so they describe the dump."""
    url, env = _libpq(_url())
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
            counts = row_counts(connection)
            revision = _revision(counts, connection)
            server = connection.scalar(sa.text("SHOW server_version"))
            pg_dump = _tool("pg_dump", connection)
            _run([pg_dump, "-Fc", f"--snapshot={snapshot}", "-f", str(target), url], env)
    return {"server_version": server, "tables": counts, "revision": revision}


def _restore_postgresql(dump: Path, force: bool) -> None:
    url, env = _libpq(_url())
    with db.engine.connect() as connection:
        pg_restore = _tool("pg_restore", connection)
    db.engine.dispose()  # no idle connection of ours holds locks on what --clean drops
    command = [
        pg_restore,
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
    ]
    if force:
        command += ["--clean", "--if-exists"]
    _run([*command, "-d", url, str(dump)], env)


# --- SQLite through its online backup API ------------------------------------------------------


def _sqlite_path() -> str:
    path = _url().database
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return path


def _sqlite_copy(source: str, target: str) -> None:
    # The backup API copies a consistent state page by page while others keep writing (WAL).
    with closing(sqlite3.connect(source)) as reader, closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)


def _dump_sqlite(target: Path) -> dict:
    _sqlite_copy(_sqlite_path(), str(target))
    engine = sa.create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as connection:
            counts = row_counts(connection)
            revision = _revision(counts, connection)
    finally:
        engine.dispose()
    return {"server_version": sqlite3.sqlite_version, "tables": counts, "revision": revision}


# --- the archive ----------------------------------------------------------------------------------


def _app_facts() -> dict:
    try:
        app_version = version("qingyuan-port")
    except PackageNotFoundError:
        app_version = None
    git = shutil.which("git")
    commit = ""
    if git and (ROOT / ".git").exists():  # a checkout (a worktree's .git is a file); not a wheel
        try:
            commit = subprocess.run(  # noqa: S603 - our own arguments
                [git, "-C", str(ROOT), "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            commit = ""
    return {"version": app_version, "commit": commit or None}


def make_backup(target: Path) -> dict:
    """Write the archive folder `target` (refused if it exists); returns its manifest."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists: a backup never overwrites one")
    partial = target.with_name(target.name + ".partial")
    if partial.exists():
        raise BackupError(f"{partial} exists: an interrupted backup; remove it first")
    try:
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.mkdir(mode=0o700)  # personal data: the operator's account alone may read it
    except OSError as error:
        raise BackupError(
            f"cannot make {partial}: {error.strerror}; the folder holding backups must exist and"
            " be writable by the service user (docs/OPERATIONS.md, section 1)"
        ) from error
    try:
        dialect = db.engine.dialect.name
        name = PG_DUMP_FILE if dialect == "postgresql" else SQLITE_FILE
        state = (_dump_postgresql if dialect == "postgresql" else _dump_sqlite)(partial / name)
        uploads = Path(current_app.config["UPLOAD_DIR"])
        if uploads.is_dir() and any(uploads.iterdir()):
            shutil.copytree(uploads, partial / FILES)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "app": _app_facts(),
            "database": {
                "dialect": dialect,
                "server_version": state["server_version"],
                "file": name,
                **_file_entry(partial / name),
            },
            "alembic_revision": state["revision"],
            "tables": state["tables"],
            "upload_dir": str(uploads),
            "file_storage": current_app.config.get("FILE_STORAGE", "disk"),
            "files": _files_under(partial / FILES),
            "not_included": NOT_INCLUDED,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(target)
    return manifest


def read_manifest(source: Path) -> dict:
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} is not a backup: no {MANIFEST}")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')} is not {FORMAT}")
    return manifest


def _check_archive(source: Path, manifest: dict) -> None:
    """The archive is what the manifest says, before anything is touched."""
    dump = source / manifest["database"]["file"]
    if not dump.is_file() or _sha256(dump) != manifest["database"]["sha256"]:
        raise BackupError(f"{dump} is missing or damaged (checksum differs): nothing restored")
    damaged = [
        name
        for name, entry in manifest["files"].items()
        if not (source / FILES / name).is_file()
        or _sha256(source / FILES / name) != entry["sha256"]
    ]
    if damaged:
        raise BackupError(f"{len(damaged)} file(s) missing or damaged, e.g. {damaged[0]}")


def _database_is_empty() -> bool:
    with db.engine.connect() as connection:
        counts = row_counts(connection)
    return not [name for name, rows in counts.items() if name != LARGE_OBJECTS or rows]


def restore_backup(source: Path, force: bool = False) -> list[Check]:
    """Restore the archive into this app's database and UPLOAD_DIR; returns the comparison."""
    source = Path(source)
    manifest = read_manifest(source)
    dialect = db.engine.dialect.name
    if manifest["database"]["dialect"] != dialect:
        raise BackupError(f"a {manifest['database']['dialect']} backup cannot go into {dialect}")
    _check_archive(source, manifest)
    uploads = Path(current_app.config["UPLOAD_DIR"])
    if not force and not _database_is_empty():
        raise BackupError("the database is not empty: restore into an empty one, or --force")
    if not force and manifest["files"] and uploads.is_dir() and any(uploads.iterdir()):
        raise BackupError(f"{uploads} is not empty: restore into an empty folder, or --force")
    dump = source / manifest["database"]["file"]
    db.session.remove()
    if dialect == "postgresql":
        _restore_postgresql(dump, force)
    else:
        db.engine.dispose()
        _sqlite_copy(str(dump), _sqlite_path())
    if manifest["files"]:
        shutil.copytree(source / FILES, uploads, dirs_exist_ok=True)
    return verify(manifest)


def verify(manifest: dict) -> list[Check]:
    """This app's database and UPLOAD_DIR against the manifest: rows per table, file checksums."""
    db.engine.dispose()
    with db.engine.connect() as connection:
        counts = row_counts(connection)
    checks = [Check(name, rows, counts.get(name)) for name, rows in manifest["tables"].items()]
    found = _files_under(Path(current_app.config["UPLOAD_DIR"]))
    checks += [
        Check(f"file {name}", entry["sha256"], found.get(name, {}).get("sha256"))
        for name, entry in manifest["files"].items()
    ]
    return checks


def register(app) -> None:
    @app.cli.command("backup")
    @click.argument("target", type=click.Path(path_type=Path))
    def backup_command(target: Path):
        """Back up the database and uploaded files into the new folder TARGET (never overwritten).

        PostgreSQL needs pg_dump of the server's major version or newer. content/ is not in it:
        it ships with the release.
        """
        manifest = make_backup(target)
        tables, rows = len(manifest["tables"]), sum(manifest["tables"].values())
        click.echo(
            f"backup {target}: {manifest['database']['dialect']} at revision "
            f"{manifest['alembic_revision']}, {tables} tables, {rows:,} rows, "
            f"{len(manifest['files'])} files"
        )

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Restore over a database or folder that has data.")
    def restore_command(source: Path, force: bool):
        """Restore the backup folder SOURCE into an empty database and upload folder, then check
        rows per table and file checksums against its manifest (exit status 1 on a difference).

        Stop the app servers and the worker first; run `flask db upgrade` after, when the
        release is newer than the backup.
        """
        checks = restore_backup(source, force=force)
        width = max(len(check.what) for check in checks) if checks else 0
        for check in checks:
            expected, found = (str(value)[:12] for value in (check.expected, check.found))
            verdict = "ok" if check.ok else "DIFFERS"
            click.echo(f"{check.what:<{width}}  {expected:>12}  {found:>12}  {verdict}")
        bad = [check for check in checks if not check.ok]
        click.echo(f"{len(checks) - len(bad)} of {len(checks)} checks match")
        if bad:
            raise SystemExit(1)
