"""The file stores behind core/uploads.py: disk and database alike (put, read, remove with the
transaction), the database's chunks, reading files not yet moved, and `flask move-files`."""

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import storage
from core.extensions import db
from core.models import ImportJob, StoredFile
from core.uploads import read_upload, remove_after_commit, write_upload
from tests.conftest import stored

BIG = bytes(range(256)) * (10 * 1024 * 4 + 7)  # 10 MB and a bit: 11 chunks


@pytest.fixture(autouse=True)
def own_folder(app, tmp_path):
    """This test's files alone on disk (the app fixture puts the setting back)."""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")


def test_a_file_is_kept_read_and_removed_with_the_transaction(app, file_storage):
    with app.app_context():
        dropped = write_upload("drill", ".bin", b"dropped")
        db.session.execute(db.text("SELECT 1"))
        db.session.rollback()
        kept = write_upload("drill", ".bin", b"kept")
        db.session.commit()
        left = write_upload("drill", ".bin", b"never committed")
    with app.app_context():
        assert stored(dropped) is None and stored(left) is None  # the context ended first
        assert read_upload(kept) == b"kept" and storage.backend().size(kept) == 4
        db.session.execute(db.text("SELECT 1"))
        remove_after_commit([kept])
        db.session.rollback()
        assert stored(kept) == b"kept"  # rolled back: the record is back, so is its file
        remove_after_commit([kept])
        db.session.commit()
        assert stored(kept) is None
        assert storage.backend().stored_keys() == []


def test_an_empty_file_is_still_a_file(app, file_storage):
    with app.app_context():
        key = write_upload("drill", ".bin", b"")
        db.session.commit()
        assert read_upload(key) == b"" and storage.backend().size(key) == 0


def test_the_database_keeps_a_large_file_in_chunks_and_reads_one_at_a_time(app):
    app.config["FILE_STORAGE"] = "database"
    with app.app_context():
        key = write_upload("imports", ".csv", BIG)
        db.session.commit()
        sizes = db.session.scalars(
            select(func.length(StoredFile.data)).where(StoredFile.key == key).order_by("chunk")
        ).all()
        assert len(sizes) == 11 and max(sizes) == storage.CHUNK_BYTES
        assert storage.backend().size(key) == len(BIG)
        with storage.backend().open(key) as stream:
            assert stream.read(10) == BIG[:10]
            assert stream.raw.next == 1  # only the first chunk was read
            assert stream.read() == BIG[10:]
    assert not Path(app.config["UPLOAD_DIR"]).exists()  # nothing on disk


def test_a_download_from_the_database_streams_with_its_headers(app):
    app.config["FILE_STORAGE"] = "database"
    with app.test_request_context():
        key = write_upload("projects", ".pdf", BIG)
        db.session.commit()
        response = storage.backend().respond(key, "application/pdf", "许可证 17.pdf", True)
        assert response.is_streamed and response.content_length == len(BIG)
        assert response.headers["Content-Disposition"] == (
            'attachment; filename=" 17.pdf"; '
            "filename*=UTF-8''%E8%AE%B8%E5%8F%AF%E8%AF%81%2017.pdf"
        )
        assert response.headers["Cache-Control"] == "no-cache"
        assert b"".join(response.response) == BIG
        assert storage.backend().respond("projects/none.pdf", "x", "x", True) is None


def test_keys_never_reach_outside_the_upload_folder(app):
    with app.app_context():
        for key in ("../outside.txt", "/etc/passwd", ""):
            with pytest.raises(FileNotFoundError):
                storage.disk().open(key)
            assert storage.disk().size(key) is None


def test_files_written_before_the_database_store_are_read_and_removed_on_disk(app):
    with app.app_context():
        old = write_upload("leads/1", ".jpg", b"\xff\xd8\xff old card")
        db.session.commit()
    app.config["FILE_STORAGE"] = "database"
    with app.app_context():
        assert read_upload(old) == b"\xff\xd8\xff old card"
        remove_after_commit([old])
        db.session.commit()
        assert stored(old) is None and storage.disk().size(old) is None


def files_on_disk(app) -> dict[str, bytes]:
    root = Path(app.config["UPLOAD_DIR"])
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_move_files_moves_everything_into_the_database_and_back(app):
    runner = app.test_cli_runner()
    with app.app_context():
        keys = [write_upload("imports", ".csv", BIG), write_upload("leads/7", ".png", b"png")]
        db.session.add(
            ImportJob(
                filename="gone.csv",
                stored_path="imports/gone.csv",
                status="done",
                mapping={},
                decisions={},
                total=0,
                report=[],
                lead_ids=[],
            )  # fmt: skip
        )
        db.session.commit()
    before = files_on_disk(app)
    moved = runner.invoke(args=["move-files", "--to", "database"])
    assert moved.exit_code == 0, moved.output
    assert "moved 2, already there 0, failed 0, referenced but missing 1" in moved.output
    assert "imports/gone.csv: referenced by a record but not stored" in moved.output
    assert "FILE_STORAGE is 'disk'" in moved.output
    assert files_on_disk(app) == {}
    app.config["FILE_STORAGE"] = "database"
    with app.app_context():
        assert sorted(storage.backend().stored_keys()) == sorted(keys)
        assert {key: read_upload(key) for key in keys} == before
    again = runner.invoke(args=["move-files", "--to", "database"])
    assert "moved 0, already there 0, failed 0" in again.output
    back = runner.invoke(args=["move-files", "--to", "disk"])
    assert "moved 2, already there 0, failed 0" in back.output
    assert files_on_disk(app) == before
    with app.app_context():
        assert storage.backend().stored_keys() == []


def test_move_files_takes_up_a_run_that_stopped_halfway(app):
    """Stopped after a file's copy was committed but before the source was removed, or while
    writing a file on disk: the next run finishes both without copying the first again."""
    runner = app.test_cli_runner()
    app.config["FILE_STORAGE"] = "database"
    with app.app_context():
        copied, half = write_upload("imports", ".csv", b"a,b\n1,2\n"), write_upload("x", ".b", BIG)
        db.session.commit()
        storage.disk().put(copied, io.BytesIO(b"a,b\n1,2\n"))
        storage.disk().path(half).parent.mkdir(parents=True, exist_ok=True)
        storage.disk().path(half).write_bytes(BIG[:1000])
        db.session.commit()
    result = runner.invoke(args=["move-files", "--to", "disk"])
    assert "moved 1, already there 1, failed 0, referenced but missing 0" in result.output
    assert files_on_disk(app) == {copied: b"a,b\n1,2\n", half: BIG}


def test_an_unknown_store_is_refused_at_start_up(tmp_path):
    from core import create_app
    from tests.conftest import make_config

    with pytest.raises(RuntimeError, match="FILE_STORAGE"):
        create_app(make_config(tmp_path, FILE_STORAGE="s3"))
