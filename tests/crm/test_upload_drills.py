"""Upload drills over HTTP: bombs and polyglots at the import page, hostile file names, and the
upload folder full or unusable. Each ends with a clear answer, nothing half-written in the
database, no file left on disk, and the form as it was filled in."""

import io
import re
import uuid
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry, Lead, LeadFile, User
from core.models.lead_import import ImportJob
from tests import hostile_files as hostile
from tests.conftest import translated
from tests.crm import test_capture as capture
from tests.crm import test_imports as imports
from tests.crm import test_projects as projects
from tests.factories import make_cast, signed_in, two_signed_projects

FULL = (
    "The file could not be saved: the server's file storage is full or unavailable. "
    "Nothing was saved. Please try again in a few minutes, and tell the administrator "
    "if it keeps happening."
)


@pytest.fixture
def cast(app):
    """Officers in Chinese (the bureau's default), the manager in English."""
    with app.app_context():
        cast = make_cast()
        db.session.get(User, cast.manager).language = "en"
        db.session.commit()
        return cast


@pytest.fixture
def fair(app, cast):
    with app.app_context():
        return capture.add_event()


def files_kept(app) -> set[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def project_id(app, cast) -> int:
    with app.app_context():
        made = two_signed_projects(cast)
        db.session.commit()
        return made["a"].id


@pytest.fixture(params=["full", "not-a-folder"])
def broken_storage(request, app, monkeypatch, tmp_path):
    """The upload folder full (each new file is created, then the disk refuses its bytes),
    or a path that cannot be a folder (a mount gone, a file where the folder should be)."""
    if request.param == "full":
        root = Path(app.config["UPLOAD_DIR"])
        real_open = Path.open

        def full_disk(self, mode="r", *args, **kwargs):
            if "x" in mode and self.is_relative_to(root):
                real_open(self, mode).close()
                return real_open(Path("/dev/full"), "wb")
            return real_open(self, mode, *args, **kwargs)

        monkeypatch.setattr(Path, "open", full_disk)
    else:
        blocker = tmp_path / "uploads-volume"
        blocker.write_text("not a folder")
        monkeypatch.setitem(app.config, "UPLOAD_DIR", str(blocker / "uploads"))
    return request.param


# --- finding 11: an outage of the upload folder -------------------------------------------


def test_an_import_upload_on_broken_storage_keeps_the_form(app, cast, fair, broken_storage):
    client = signed_in(app, cast.officer)
    files = files_kept(app)
    response = imports.upload(
        client, imports.UTF8, event=str(fair), source="EU fair scanner", default_country="DE"
    )
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert escape(translated(app, FULL)) in page  # in the officer's language: Chinese
    assert 'value="EU fair scanner"' in page
    assert f'<option selected value="{fair}">' in page
    assert re.search(r'<option selected value="DE">', page)
    with app.app_context():
        assert count(ImportJob) == 0 and count(AuditEntry) == 0
    assert files_kept(app) == files


def test_a_capture_on_broken_storage_answers_json_and_keeps_the_entry(
    app, cast, fair, broken_storage, monkeypatch
):
    client = signed_in(app, cast.manager)
    files = files_kept(app)
    entry = capture.entry(fair)
    entry["card_photo"] = (io.BytesIO(capture.JPEG), "card.jpg", "image/jpeg")
    response = capture.post(client, fair, entry)
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "message": FULL}
    with app.app_context():
        assert count(Lead) == 0 and count(LeadFile) == 0 and count(AuditEntry) == 0
    assert files_kept(app) == files
    # The device keeps the entry; sent again once the folder works, it makes its lead.
    monkeypatch.undo()
    files = files_kept(app)
    entry["card_photo"] = (io.BytesIO(capture.JPEG), "card.jpg", "image/jpeg")
    assert capture.post(client, fair, entry).status_code == 201
    assert len(files_kept(app) - files) == 1


def test_a_capture_without_javascript_on_broken_storage_shows_the_form_filled_in(
    app, cast, fair, broken_storage
):
    client = signed_in(app, cast.manager)
    files = files_kept(app)
    entry = capture.entry(fair, company_name="Keller Antriebstechnik GmbH")
    entry["card_photo"] = (io.BytesIO(capture.JPEG), "card.jpg", "image/jpeg")
    response = capture.post(client, fair, entry, headers={"Accept": "text/html"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert escape(FULL) in page
    assert 'value="Keller Antriebstechnik GmbH"' in page
    assert f'value="{entry["capture_key"]}"' in page  # sent again, it is still one entry
    with app.app_context():
        assert count(Lead) == 0
    assert files_kept(app) == files


def test_a_stage_document_on_broken_storage_keeps_the_form(app, cast, broken_storage):
    project = project_id(app, cast)
    client = signed_in(app, cast.manager)
    files = files_kept(app)
    response = projects.record_stage(
        client,
        project,
        evidence_kind="document",
        reference="Construction permit 17",
        document=("permit.pdf", projects.PDF),
    )
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert escape(FULL) in page and 'value="Construction permit 17"' in page
    with app.app_context():
        assert projects.load(project).stage == "signed"
        assert projects.audits("stage") == []
    assert files_kept(app) == files


# --- no file outlives a request that failed after writing it ------------------------------


def test_no_import_file_outlives_a_failure_after_it_was_written(app, cast, monkeypatch):
    client = signed_in(app, cast.officer)
    files = files_kept(app)
    monkeypatch.setattr("core.imports.jobs.record", _fail)
    with pytest.raises(RuntimeError, match="after the file was written"):
        imports.upload(client, imports.UTF8)
    assert files_kept(app) == files
    with app.app_context():
        assert count(ImportJob) == 0


def test_no_photo_outlives_a_failure_after_it_was_written(app, cast, fair, monkeypatch):
    client = signed_in(app, cast.manager)
    files = files_kept(app)
    monkeypatch.setattr("crm.capture.views.record", _fail)
    entry = capture.entry(fair)
    entry["card_photo"] = (io.BytesIO(capture.JPEG), "card.jpg", "image/jpeg")
    with pytest.raises(RuntimeError, match="after the file was written"):
        capture.post(client, fair, entry)
    assert files_kept(app) == files
    with app.app_context():
        assert count(Lead) == 0 and count(LeadFile) == 0


def test_no_document_outlives_a_failure_after_it_was_written(app, cast, monkeypatch):
    project = project_id(app, cast)
    client = signed_in(app, cast.manager)
    files = files_kept(app)
    monkeypatch.setattr("crm.projects.views.reach", _fail)
    with pytest.raises(RuntimeError, match="after the file was written"):
        projects.record_stage(
            client, project, evidence_kind="document", document=("p.pdf", projects.PDF)
        )
    assert files_kept(app) == files


def _fail(*_args, **_kwargs):
    raise RuntimeError("the database failed after the file was written")


# --- hostile names: never a path, shown cleaned ------------------------------------------


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../../etc/passwd.csv", "passwd.csv"),
        ("/etc/cron.d/leads.csv", "leads.csv"),
        ("lea\x00ds.csv", "leads.csv"),
        ("\u202evsc.sdael", "vsc.sdael"),  # a right-to-left override would show it reversed
        ("..", "upload"),
    ],
)
def test_an_import_file_name_never_becomes_a_path(app, cast, sent, shown):
    client = signed_in(app, cast.officer)
    job_id = imports.job_id_of(imports.upload(client, imports.UTF8, filename=sent))
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job.filename == shown
        assert re.fullmatch(r"imports/[0-9a-f]{32}\.csv", job.stored_path)
        assert (Path(app.config["UPLOAD_DIR"]) / job.stored_path).read_bytes() == imports.UTF8


def test_a_photo_name_never_becomes_a_path(app, cast, fair):
    client = signed_in(app, cast.manager)
    entry = capture.entry(fair)
    entry["card_photo"] = (io.BytesIO(capture.JPEG), "../../ca\x00rd\u202e.jpg", "image/jpeg")
    assert capture.post(client, fair, entry).status_code == 201
    with app.app_context():
        kept = db.session.scalar(select(LeadFile))
        assert kept.filename == "card.jpg"
        assert re.fullmatch(rf"leads/{kept.lead_id}/[0-9a-f]{{32}}\.jpg", kept.path)


# --- bombs and polyglots at the import page -----------------------------------------------


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (hostile.zip_bomb, "may be a zip bomb"),
        (hostile.billion_laughs, "XML entity declarations"),
        (hostile.external_link, "external links"),
        (hostile.with_html_after, "other data attached after its end"),
        (lambda: hostile.HTML_TABLE, "a web page or XML document"),
    ],
)
def test_hostile_workbooks_are_refused_at_upload(app, cast, build, words):
    client = signed_in(app, cast.manager)
    files = files_kept(app)
    response = imports.upload(client, build(), filename="leads.xlsx", source="kept source")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert words in page and 'value="kept source"' in page
    with app.app_context():
        assert count(ImportJob) == 0
    assert files_kept(app) == files


def test_a_sheet_claiming_the_whole_grid_uploads_as_the_rows_it_holds(app, cast):
    client = signed_in(app, cast.officer)
    job_id = imports.job_id_of(imports.upload(client, hostile.dimension_bomb(), "leads.xlsx"))
    with app.app_context():
        assert db.session.get(ImportJob, job_id).total == 2


def test_a_bomb_stored_before_these_checks_is_never_shown(app, cast):
    """A file kept from before: its pages refuse it instead of sending its unpacked cell."""
    relative = f"imports/{uuid.uuid4().hex}.xlsx"
    path = Path(app.config["UPLOAD_DIR"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(hostile.zip_bomb(64 << 20))
    with app.app_context():
        job = ImportJob(
            filename="leads.xlsx",
            stored_path=relative,
            mapping={},
            decisions={},
            status="draft",
            total=2,
            report=[],
            lead_ids=[],
            created_by_id=cast.manager,
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    client = signed_in(app, cast.manager)
    response = client.get(f"/crm/imports/{job_id}/mapping")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/crm/imports/{job_id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "may be a zip bomb" in page
    assert len(page) < 200_000
