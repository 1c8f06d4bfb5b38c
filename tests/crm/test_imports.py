"""The import pages over HTTP: upload, mapping, decisions, run, report, undo, scope, bad input."""

import csv
import io
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Activity, AuditEntry, Event, Lead, User
from core.models.lead_import import ImportJob, ImportMapping
from tests.conftest import csrf_token, stored, stored_keys, translated
from tests.factories import make_cast, make_lead, signed_in

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
HEADER = "公司名称,联系人,邮箱,手机,国家,备注\n"
ROWS = (
    "成都天府精密机械有限公司,王伟,wang@tianfu.example,13800000001,中国,展会\n"
    "Keller Antriebstechnik GmbH,Petra Keller,petra@keller.example,+49 30 1234567,DE,\n"
    "Bad Mail Ltd,Jean Bad,not-an-email,,France,\n"
    ",Nobody,nobody@example.com,,DE,no company\n"
)
UTF8 = (HEADER + ROWS).encode("utf-8")
GB18030 = (HEADER + ROWS).encode("gb18030")


@pytest.fixture
def cast(app):
    with app.app_context():
        return make_cast()


@pytest.fixture
def fair(app, cast):
    with app.app_context():
        event = Event(
            slug="eu-china-fair",
            name={"en": "EU-China Fair", "zh": "中欧博览会"},
            starts_on=date(2026, 6, 1),
            ends_on=date(2026, 6, 3),
        )
        db.session.add(event)
        db.session.commit()
        return event.id


def token(client, url="/crm/imports/new") -> str:
    return csrf_token(client.get(url).get_data(as_text=True))


def upload(client, data: bytes, filename="contacts.csv", **fields):
    form = {"csrf_token": token(client), "encoding": "", "event": "", "source": ""}
    form.update(fields)
    form["file"] = (io.BytesIO(data), filename)
    return client.post("/crm/imports/new", data=form, content_type="multipart/form-data")


def job_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].split("/crm/imports/")[1].split("/")[0])


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def stored_files(app) -> set[str]:
    """The uploads kept so far (the app, and so its upload folder, is shared between tests)."""
    return set(stored_keys(app, "imports/"))


def save_mapping(client, job_id, columns: dict[int, str], action="save"):
    url = f"/crm/imports/{job_id}/mapping"
    form = {"csrf_token": token(client, url), "action": action}
    form.update({f"column-{i}": key for i, key in columns.items()})
    return client.post(url, data=form)


STANDARD = {0: "company", 1: "contact_name", 2: "email", 3: "phone", 4: "country", 5: "notes"}


# --- navigation and roles ------------------------------------------------------------------


def test_nav_links_the_import_for_officers_not_leaders(app, cast):
    page = signed_in(app, cast.officer).get("/crm/leads").get_data(as_text=True)
    assert 'href="/crm/imports/new"' in page
    leader = signed_in(app, cast.leader)
    assert 'href="/crm/imports/new"' not in leader.get("/crm/my-day").get_data(as_text=True)
    for url in ("/crm/imports", "/crm/imports/new"):
        assert leader.get(url).status_code == 403


def test_anonymous_goes_to_sign_in(app, client):
    response = client.get("/crm/imports/new")
    assert response.status_code == 302 and "/crm/login" in response.headers["Location"]


def test_upload_page_lists_events_and_preselects_one(app, cast, fair):
    client = signed_in(app, cast.officer)
    page = client.get("/crm/imports/new?event=eu-china-fair").get_data(as_text=True)
    assert f'<option selected value="{fair}">' in page or f'value="{fair}" selected' in page
    assert "EU-China Fair" in page or "中欧博览会" in page
    assert client.get("/crm/imports/new?event=nope").status_code == 200


# --- upload and reading --------------------------------------------------------------------


def test_utf8_upload_makes_a_draft_and_suggests_columns(app, cast, fair, file_storage):
    client = signed_in(app, cast.officer)
    response = upload(client, UTF8, event=str(fair), source="EU-China fair scanner")
    job_id = job_id_of(response)
    assert response.headers["Location"].endswith(f"/crm/imports/{job_id}/mapping")
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job.status == "draft" and job.total == 4 and job.event_id == fair
        assert job.created_by_id == cast.officer and job.source == "EU-China fair scanner"
        assert job.mapping["公司名称"] == "company" and job.mapping["邮箱"] == "email"
        assert stored(job.stored_path) == UTF8
        assert db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(
                AuditEntry.entity_type == "ImportJob", AuditEntry.entity_id == job_id
            )
        ) == 1  # fmt: skip
    page = client.get(f"/crm/imports/{job_id}/mapping").get_data(as_text=True)
    assert "UTF-8" in page and "成都天府精密机械有限公司" in page
    assert '<option value="company" selected>' in page
    assert count(app, Lead) == 0  # nothing written yet


def test_gb18030_is_detected_and_decoded(app, cast):
    client = signed_in(app, cast.officer)
    job_id = job_id_of(upload(client, GB18030))
    page = client.get(f"/crm/imports/{job_id}/mapping").get_data(as_text=True)
    assert "GB18030" in page
    assert "成都天府精密机械有限公司" in page and "王伟" in page


def test_preview_names_row_problems(app, cast):
    client = signed_in(app, cast.officer)
    job_id = job_id_of(upload(client, UTF8))
    save_mapping(client, job_id, STANDARD, action="preview")
    page = client.get(f"/crm/imports/{job_id}/mapping").get_data(as_text=True)
    assert 'class="import-problems"' in page  # bad email and missing company are shown


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"", "empty.csv"),
        (PNG, "picture.csv"),
        (b"company,email\n", "header-only.csv"),
        (b"company,company\nA,B\n", "duplicate.csv"),
        (b'company,email\n"Acme,a@b.example\n', "broken.csv"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(app, cast, data, filename, file_storage):
    client = signed_in(app, cast.officer)
    files = stored_files(app)
    response = upload(client, data, filename, source="kept source")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page
    assert 'value="kept source"' in page  # what was typed is kept
    assert count(app, ImportJob) == 0 and stored_files(app) == files


def test_png_gets_the_wrong_type_message(app, cast):
    client = signed_in(app, cast.officer)
    page = upload(client, PNG, "picture.csv").get_data(as_text=True)
    assert translated(app, "This is not a CSV or Excel file. Upload a .csv or .xlsx file.") in page


def test_no_file_chosen(app, cast):
    client = signed_in(app, cast.officer)
    form = {"csrf_token": token(client), "encoding": "", "event": "", "source": ""}
    response = client.post("/crm/imports/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    assert count(app, ImportJob) == 0


def test_rows_over_the_cap_are_refused(app, cast):
    app.config["IMPORT_MAX_ROWS"] = 3
    client = signed_in(app, cast.officer)
    files = stored_files(app)
    response = upload(client, UTF8 + b"Extra GmbH,X,x@x.example,,DE,\n")
    assert response.status_code == 422
    assert count(app, ImportJob) == 0 and stored_files(app) == files


def test_unknown_event_and_missing_csrf(app, cast):
    client = signed_in(app, cast.officer)
    assert upload(client, UTF8, event="999").status_code == 422
    response = client.post(
        "/crm/imports/new",
        data={"file": (io.BytesIO(UTF8), "a.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert count(app, ImportJob) == 0


# --- mapping -------------------------------------------------------------------------------


def test_mapping_is_checked_and_remembered_per_source(app, cast):
    client = signed_in(app, cast.officer)
    job_id = job_id_of(upload(client, UTF8, source="Badge scanner"))
    twice = save_mapping(client, job_id, {**STANDARD, 5: "email"})
    assert twice.status_code == 422 and 'class="error-summary"' in twice.get_data(as_text=True)
    no_company = save_mapping(client, job_id, {**STANDARD, 0: ""})
    assert no_company.status_code == 422
    assert save_mapping(client, job_id, {**STANDARD, 0: "nonsense"}).status_code == 400
    # Notes ignored this time; the choice is kept for the job and remembered for the source.
    response = save_mapping(client, job_id, {**STANDARD, 5: ""})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/crm/imports/{job_id}/review")
    with app.app_context():
        assert db.session.get(ImportJob, job_id).mapping["备注"] == ""
        remembered = db.session.scalar(select(ImportMapping))
        assert remembered.source == "Badge scanner" and remembered.mapping["备注"] == ""
    second = job_id_of(upload(client, UTF8, source="Badge scanner"))
    with app.app_context():
        assert db.session.get(ImportJob, second).mapping["备注"] == ""


def test_preview_action_saves_nothing(app, cast):
    client = signed_in(app, cast.officer)
    job_id = job_id_of(upload(client, UTF8))
    with app.app_context():
        before = db.session.get(ImportJob, job_id).mapping
    response = save_mapping(client, job_id, {**STANDARD, 1: ""}, action="preview")
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(ImportJob, job_id).mapping == before


def test_encoding_can_be_overridden(app, cast):
    client = signed_in(app, cast.officer)
    job_id = job_id_of(upload(client, GB18030))
    url = f"/crm/imports/{job_id}/encoding"
    wrong = client.post(url, data={"csrf_token": token(client), "encoding": "utf-8"})
    assert wrong.status_code == 422  # not valid UTF-8: said so, the job keeps GB18030
    assert client.post(
        url, data={"csrf_token": token(client), "encoding": "bogus"}
    ).status_code in (
        400,
        422,
    )
    right = client.post(url, data={"csrf_token": token(client), "encoding": "gb18030"})
    assert right.status_code == 302
    with app.app_context():
        assert db.session.get(ImportJob, job_id).encoding == "gb18030"


# --- decisions, run, report, undo ----------------------------------------------------------


@pytest.fixture
def existing(app, cast):
    """A lead the file's first row matches by email, owned by the officer."""
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        lead = make_lead(
            "Chengdu Tianfu Precision Machinery Co., Ltd.",
            owner=officer,
            contact_name="Wang Wei",
            email="wang@tianfu.example",
            country="CN",
        )
        db.session.commit()
        return lead.id


def mapped_job(app, client) -> int:
    job_id = job_id_of(upload(client, UTF8))
    assert save_mapping(client, job_id, STANDARD).status_code == 302
    return job_id


def review(client, job_id, decisions: dict[int, str], action="save", rows=None):
    url = f"/crm/imports/{job_id}/review?show=all"
    form = {"csrf_token": token(client, url), "action": action}
    form["row"] = [str(n) for n in (rows or decisions)]
    form.update({f"decision-{n}": d for n, d in decisions.items()})
    return client.post(url, data=form)


def test_review_shows_matches_and_stores_changed_decisions(app, cast, existing):
    client = signed_in(app, cast.officer)
    job_id = mapped_job(app, client)
    page = client.get(f"/crm/imports/{job_id}/review").get_data(as_text=True)
    assert f'href="/crm/leads/{existing}"' in page
    assert 'name="decision-1"' in page
    assert '<option value="merge" selected>' in page  # same email: merge by default
    response = review(client, job_id, {1: "create"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(ImportJob, job_id).decisions == {"1": "create"}
    review(client, job_id, {1: "merge"})  # back to the default: nothing stored
    with app.app_context():
        assert db.session.get(ImportJob, job_id).decisions == {}
    assert review(client, job_id, {1: "explode"}).status_code == 400
    assert review(client, job_id, {999: "create"}).status_code == 400
    assert review(client, job_id, {4: "create"}).status_code == 400  # no company: rejected
    assert review(client, job_id, {1: "create"}, action="launch").status_code == 400


def test_an_officer_never_merges_into_a_lead_they_may_not_change(app, cast, existing):
    with app.app_context():
        # The matched lead belongs to an officer of another team.
        db.session.get(Lead, existing).owner_id = cast.other_officer
        db.session.get(Lead, existing).team_id = cast.team_b
        db.session.commit()
    client = signed_in(app, cast.officer)
    job_id = mapped_job(app, client)
    page = client.get(f"/crm/imports/{job_id}/review").get_data(as_text=True)
    row = page.split('name="decision-1"')[1].split("</select>")[0]
    assert 'value="merge"' not in row and '<option value="create" selected>' in row
    assert f'href="/crm/leads/{existing}"' not in page  # named, not linked
    assert review(client, job_id, {1: "merge"}).status_code == 400
    # Run without looking at row 1 again: it is created, the other team's lead is untouched.
    assert review(client, job_id, {}, action="run", rows=[]).status_code == 302
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert (job.created, job.merged) == (2, 0)
        assert len(db.session.get(Lead, existing).contacts) == 1
    # A manager may merge it.
    manager = signed_in(app, cast.manager)
    again = mapped_job(app, manager)
    page = manager.get(f"/crm/imports/{again}/review").get_data(as_text=True)
    assert '<option value="merge" selected>' in page


def test_dry_run_then_import_then_undo_then_again(app, cast, existing, fair):
    client = signed_in(app, cast.officer)
    job_id = mapped_job(app, client)
    response = review(client, job_id, {}, action="dry_run", rows=[])
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/crm/imports/{job_id}")
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job.status == "done" and job.dry_run
    assert count(app, Lead) == 1  # the dry run wrote no lead
    page = client.get(f"/crm/imports/{job_id}").get_data(as_text=True)
    assert "import-counts" in page

    response = review(client, job_id, {}, action="run", rows=[])
    assert response.status_code == 302
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job.status == "done" and not job.dry_run
        # Row 3 (bad email) and row 4 (no company) are rejected; row 1 merges by its email.
        assert (job.created, job.merged, job.rejected, job.skipped) == (1, 1, 2, 0)
    leads_after = count(app, Lead)
    assert leads_after == 1 + job.created
    page = client.get(f"/crm/imports/{job_id}").get_data(as_text=True)
    assert "/undo" in page and "/report" in page
    # The mapping and decisions can no longer change once it really ran.
    assert client.get(f"/crm/imports/{job_id}/review").status_code == 302

    url = f"/crm/imports/{job_id}/report"
    download = client.post(url, data={"csrf_token": token(client), "format": "csv"})
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    assert len(rows) == 1 + 4
    xlsx = client.post(url, data={"csrf_token": token(client), "format": "xlsx"})
    assert xlsx.status_code == 200
    assert client.post(url, data={"csrf_token": token(client), "format": "pdf"}).status_code == 400

    response = client.post(f"/crm/imports/{job_id}/undo", data={"csrf_token": token(client)})
    assert response.status_code == 302
    assert count(app, Lead) == 1
    timeline = client.get(f"/crm/leads/{existing}").get_data(as_text=True)
    with app.app_context():
        filename = db.session.get(ImportJob, job_id).filename
    job = translated(app, "import #%(id)s (%(file)s)", id=job_id, file=filename)
    assert translated(app, "%(who)s undid %(job)s on this lead", who="", job=job) in timeline
    with app.app_context():
        assert db.session.get(ImportJob, job_id).status == "undone"

    response = client.post(f"/crm/imports/{job_id}/again", data={"csrf_token": token(client)})
    again = job_id_of(response)
    assert again != job_id and response.headers["Location"].endswith(f"/{again}/review")
    assert review(client, again, {}, action="run", rows=[]).status_code == 302
    with app.app_context():
        assert db.session.get(ImportJob, again).status == "done"
    assert count(app, Lead) == leads_after


def test_undo_is_refused_once_a_lead_was_worked(app, cast, existing):
    client = signed_in(app, cast.officer)
    job_id = mapped_job(app, client)
    review(client, job_id, {}, action="run", rows=[])
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        lead_id = job.lead_ids[0]
        # Worked a while after the import (the run's own writes are allowed a short grace).
        later = job.finished_at + timedelta(minutes=5)
        db.session.add(
            Activity(
                lead_id=lead_id,
                kind="call",
                subject="Called",
                author_id=cast.officer,
                created_at=later,
            )
        )
        db.session.commit()
    response = client.post(f"/crm/imports/{job_id}/undo", data={"csrf_token": token(client)})
    assert response.status_code == 409
    assert 'class="error-summary"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ImportJob, job_id).status == "done"
        assert db.session.get(Lead, lead_id) is not None


def test_large_imports_run_in_the_background_with_progress(app, cast):
    app.config["IMPORT_INLINE_ROWS"] = 0
    client = signed_in(app, cast.officer)
    job_id = mapped_job(app, client)
    assert review(client, job_id, {}, action="run", rows=[]).status_code == 302
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with app.app_context():
            status = db.session.get(ImportJob, job_id).status
            db.session.remove()
        if status not in ("draft", "running"):
            break
        fragment = client.get(f"/crm/imports/{job_id}/progress")
        assert fragment.status_code == 200
        time.sleep(0.2)
    assert status == "done"
    fragment = client.get(f"/crm/imports/{job_id}/progress", headers={"HX-Request": "true"})
    assert fragment.headers.get("HX-Refresh") == "true"


# --- scope and addresses -------------------------------------------------------------------


def test_officers_see_only_their_own_imports(app, cast):
    mine = signed_in(app, cast.officer)
    job_id = job_id_of(upload(mine, UTF8, source="Mine"))
    other = signed_in(app, cast.other_officer)
    for url in (f"/crm/imports/{job_id}", f"/crm/imports/{job_id}/mapping"):
        assert other.get(url).status_code == 404
    assert "Mine" not in other.get("/crm/imports").get_data(as_text=True)
    manager = signed_in(app, cast.manager)
    assert manager.get(f"/crm/imports/{job_id}").status_code == 200
    assert "Mine" in manager.get("/crm/imports").get_data(as_text=True)
    assert mine.get("/crm/imports/99999999999").status_code == 404
    assert mine.get("/crm/imports/12345").status_code == 404


def test_posts_without_csrf_are_refused(app, cast):
    client = signed_in(app, cast.officer)
    job_id = job_id_of(upload(client, UTF8))
    for path in ("mapping", "review", "encoding", "undo", "again", "report"):
        assert client.post(f"/crm/imports/{job_id}/{path}", data={}).status_code == 400, path


def test_xlsx_and_semicolon_files_are_read(app, cast):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Company", "Name", "Email", "Country"])
    sheet.append(["Keller Antriebstechnik GmbH", "Petra Keller", "petra@keller.example", "DE"])
    sheet.append(['=HYPERLINK("http://evil.example")', "Eve", "eve@evil.example", "FR"])
    out = io.BytesIO()
    book.save(out)
    client = signed_in(app, cast.officer)
    job_id = job_id_of(upload(client, out.getvalue(), "exhibitors.xlsx"))
    page = client.get(f"/crm/imports/{job_id}/mapping").get_data(as_text=True)
    assert "Excel (.xlsx)" in page and "Keller Antriebstechnik GmbH" in page
    assert "=HYPERLINK" in page  # shown as the text it is, never evaluated
    semicolon = "Firma;E-Mail;Land\nMüller Logistik GmbH;info@mueller-logistik.example;DE\n"
    job_id = job_id_of(upload(client, semicolon.encode(), "semikolon.csv"))
    page = client.get(f"/crm/imports/{job_id}/mapping").get_data(as_text=True)
    assert "Müller Logistik GmbH" in page and "info@mueller-logistik.example" in page


def test_job_pages_in_each_state(app, cast):
    client = signed_in(app, cast.officer)
    job_id = job_id_of(upload(client, UTF8))
    draft = client.get(f"/crm/imports/{job_id}").get_data(as_text=True)
    assert f'href="/crm/imports/{job_id}/review"' in draft
    url = f"/crm/imports/{job_id}/report"
    assert client.post(url, data={"csrf_token": token(client), "format": "csv"}).status_code == 404
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        job.status, job.error = "failed", "Nothing was imported: the disk is full"
        db.session.commit()
    failed = client.get(f"/crm/imports/{job_id}")
    assert failed.status_code == 200
    assert "the disk is full" in failed.get_data(as_text=True)
    assert client.get(f"/crm/imports/{job_id}/review").status_code == 200  # may run again
    with app.app_context():
        db.session.get(ImportJob, job_id).status = "running"
        db.session.commit()
    running = client.get(f"/crm/imports/{job_id}").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in running and 'http-equiv="refresh"' in running
    assert client.get(f"/crm/imports/{job_id}/review").status_code == 302
    listing = signed_in(app, cast.admin).get("/crm/imports")
    assert listing.status_code == 200 and "contacts.csv" in listing.get_data(as_text=True)


def test_default_country_fills_rows_without_one(app, cast):
    data = b"Company,Email\nFoo GmbH,a@foo.example\n"
    client = signed_in(app, cast.officer)
    job_id = job_id_of(upload(client, data, default_country="DE"))
    with app.app_context():
        assert db.session.get(ImportJob, job_id).default_country == "DE"
    assert save_mapping(client, job_id, {0: "company", 1: "email"}).status_code == 302
    assert review(client, job_id, {}, action="run", rows=[]).status_code == 302
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert (job.created, job.rejected) == (1, 0)
        assert db.session.get(Lead, job.lead_ids[0]).country == "DE"
    assert upload(client, data, default_country="XX").status_code == 422
