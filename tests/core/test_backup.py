"""The restore drill: data and uploaded files backed up with `flask backup`, restored with `flask
restore` into an empty database (a new SQLite file, or a PostgreSQL database made for the test
and filled by pg_restore) and checked against the manifest; and what both commands refuse."""

import io
import json
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, make_url, select

from core import create_app, storage
from core.extensions import db
from core.lead_moves import move_lead
from core.models import Lead, LeadFile, StageChange
from tests.conftest import TEST_DATABASE_URL, make_config
from tests.databases import create_database, named
from tests.factories import make_cast, make_lead

LEADS = 25


def fill(app, tmp_path) -> None:
    """Staff, leads, stage history and uploaded files in the store FILE_STORAGE names (a disk
    folder of this test's own: the shared app's is not emptied between tests)."""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")  # the app fixture puts it back
    with app.app_context():
        make_cast()
        for n in range(LEADS):
            lead = make_lead(f"成都天府精密机械有限公司 {n}", email=f"firm{n}@example.com")
            if n % 3 == 0:
                move_lead(lead, "contacted", None)
            if n % 5 == 0:
                relative = f"leads/{lead.id}/card-{n}.jpg"
                storage.backend().put(relative, io.BytesIO(b"\xff\xd8\xff\xe0 card %d" % n))
                db.session.add(
                    LeadFile(lead_id=lead.id, kind="business_card", filename=f"名片{n}.jpg",
                             content_type="image/jpeg", size=12, path=relative)
                )  # fmt: skip
        db.session.commit()


@pytest.fixture
def filled(app, tmp_path):
    fill(app, tmp_path)
    return app


@contextmanager
def empty_app(tmp_path, file_storage: str = "disk"):
    """A second app on an empty database and an empty upload folder."""
    settings = {"UPLOAD_DIR": str(tmp_path / "restored-uploads"), "FILE_STORAGE": file_storage}
    if not TEST_DATABASE_URL:
        uri = f"sqlite:///{tmp_path / 'restored.db'}"
        yield create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=uri, **settings))
        return
    url = named(TEST_DATABASE_URL, f"{make_url(TEST_DATABASE_URL).database}_restore")
    create_database(url)
    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=url, **settings))
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        create_database(url)  # emptied for the next run


def backup(app, target: Path):
    return app.test_cli_runner().invoke(args=["backup", str(target)])


def restore(app, source: Path, *options: str):
    return app.test_cli_runner().invoke(args=["restore", str(source), *options])


def test_a_backup_restores_into_an_empty_database_with_the_same_rows_and_files(
    app, file_storage, tmp_path
):
    """Files on disk travel in the archive's files/; files in the database, in the dump."""
    fill(app, tmp_path)
    archive = tmp_path / "backup-1"
    done = backup(app, archive)
    assert done.exit_code == 0, done.output
    manifest = json.loads((archive / "manifest.json").read_text())
    assert manifest["tables"]["lead"] == LEADS
    assert manifest["tables"]["stage_change"] > LEADS  # creation and the moves
    on_disk = file_storage == "disk"
    assert len(manifest["files"]) == (5 if on_disk else 0)
    assert (manifest["tables"]["stored_file"] == 0) == on_disk
    assert manifest["app"]["version"] and manifest["not_included"]

    with empty_app(tmp_path, file_storage) as target:
        done = restore(target, archive)
        assert done.exit_code == 0, done.output
        checks = len(manifest["tables"]) + len(manifest["files"])
        assert f"{checks} of {checks} checks match" in done.output
        with target.app_context():
            assert db.session.scalar(select(func.count()).select_from(Lead)) == LEADS
            moves = select(func.count()).select_from(StageChange)
            assert db.session.scalar(moves) == manifest["tables"]["stage_change"]
            card = db.session.scalars(select(LeadFile).order_by(LeadFile.id)).first()
            assert card.filename == "名片0.jpg"
            with storage.backend().open(card.path) as stored:
                assert stored.read() == b"\xff\xd8\xff\xe0 card 0"
        # What is there now is never overwritten without --force.
        again = restore(target, archive)
        assert again.exit_code == 1 and "not empty" in again.output
        forced = restore(target, archive, "--force")
        assert forced.exit_code == 0, forced.output


def test_a_difference_from_the_manifest_fails_the_restore(filled, tmp_path):
    archive = tmp_path / "backup-2"
    assert backup(filled, archive).exit_code == 0
    manifest = json.loads((archive / "manifest.json").read_text())
    manifest["tables"]["lead"] += 1
    (archive / "manifest.json").write_text(json.dumps(manifest))
    with empty_app(tmp_path) as target:
        done = restore(target, archive)
    assert done.exit_code == 1
    assert "DIFFERS" in done.output and "lead " in done.output


def test_a_damaged_archive_is_refused_before_anything_is_touched(filled, tmp_path):
    archive = tmp_path / "backup-3"
    assert backup(filled, archive).exit_code == 0
    card = next((archive / "files").rglob("*.jpg"))
    card.write_bytes(b"changed")
    with empty_app(tmp_path) as target:
        done = restore(target, archive)
        assert done.exit_code == 1 and "damaged" in done.output
        assert not Path(target.config["UPLOAD_DIR"]).exists()


def test_backup_never_overwrites_and_restore_refuses_a_database_with_data(filled, tmp_path):
    archive = tmp_path / "backup-4"
    assert backup(filled, archive).exit_code == 0
    again = backup(filled, archive)
    assert again.exit_code == 1 and "never overwrites" in again.output
    into_itself = restore(filled, archive)
    assert into_itself.exit_code == 1 and "not empty" in into_itself.output


def test_backup_into_a_folder_it_cannot_make_says_so(filled, tmp_path):
    not_a_folder = tmp_path / "backups"
    not_a_folder.write_text("a file where the backups folder should be")
    done = backup(filled, not_a_folder / "2026-12-07-0200")
    assert done.exit_code == 1 and not isinstance(done.exception, OSError)
    assert "cannot make" in done.output and "section 1" in done.output
