"""The privacy drill: a person entered everywhere a person can appear, anonymised through the
CRM, then the whole database dump and every uploaded file searched for them."""

import io
import json
import os
import shutil
import sqlite3
import subprocess

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core import storage
from core.extensions import db
from core.imports import run_job
from core.models import AuditEntry, Contact, ImportJob, Lead, LeadFile
from tests.conftest import TEST_DATABASE_URL, csrf_token
from tests.crm.test_capture import add_event, entry
from tests.crm.test_capture import post as capture
from tests.crm.test_imports import STANDARD, job_id_of, save_mapping, upload
from tests.crm.test_lead_detail import hidden
from tests.crm.test_privacy import anonymise
from tests.factories import english_cast, sign_in_as
from tests.forms import open_form, send

NAME, EMAIL, PHONE = (
    "Xanthippe Quorndorf-Vell",
    "xanthippe.qv@quorndorf-vell.example",
    "030 7788 9911",
)
E164 = "+493077889911"
COMPANY = "Quorndorf-Vell Mechatronik GmbH"
SECOND_NAME, SECOND_EMAIL = "邬晓岚", "wu.xiaolan@quorndorf-vell.example"
SECOND_PHONE, SECOND_E164 = "+86 139 0578 2214", "+8613905782214"
# Every form the person's identifiers could be stored in: as typed, lower-case, E.164 and its
# digits, the national number, the Chinese name in pinyin and as JSON escapes.
FORBIDDEN = (
    "xanthippe", "quorndorf", "vell mechatronik", EMAIL, PHONE, E164, E164[1:], "77889911",
    SECOND_NAME, "wuxiaolan", "wu xiaolan", "wu.xiaolan", SECOND_PHONE, SECOND_E164,
    "13905782214", json.dumps(SECOND_NAME)[1:-1].replace("\\", ""),
)  # fmt: skip
# Another person in the same import file: they are not anonymised, and the dump must say so.
OTHER = "Bertold Ostrander"
IMPORT_FILE = (
    "Firma,Kontakt,E-Mail,Telefon,Land,Notizen\n"
    f"{COMPANY},{NAME},{EMAIL},{PHONE},DE,Second talk with {NAME}\n"
    f"Ostrander Hydraulik AG,{OTHER},bertold@ostrander.example,+49 89 1234567,DE,\n"
    f"{COMPANY},{SECOND_NAME},wu.xiaolan@@quorndorf-vell,,DE,\n"
).encode()


def post_form(client, url, **values):
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(page), **values})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return page


def build_person(app, client, cast) -> tuple[int, int]:
    """The person through the real app; returns (their lead, the import job)."""
    assert (
        send(
            client,
            open_form(client),
            name=NAME,
            company=COMPANY,
            email=EMAIL,
            phone=PHONE,
            country="DE",
            message=f"{NAME} plans a plant",
        ).status_code
        == 303
    )
    with app.app_context():
        lead_id = db.session.scalar(select(Lead.id))
        sign_in_as(client, cast.manager)
        fair = add_event()
    url = f"/crm/leads/{lead_id}/contacts/new"
    page = client.get(url).get_data(as_text=True)
    post_form(
        client,
        url,
        original=hidden(page, "original"),
        name=SECOND_NAME,
        email=SECOND_EMAIL,
        phone=SECOND_PHONE,
        contact_language="zh",
        position="CTO",
    )
    post_form(
        client,
        f"/crm/leads/{lead_id}/activities",
        kind="call",
        subject=f"Call with {NAME}",
        body=f"Reached on {PHONE}; {SECOND_NAME} joins",
    )
    with app.app_context():
        version = db.session.get(Lead, lead_id).version_id
    token = csrf_token(client.get("/crm/board").get_data(as_text=True))
    moved = client.post(
        f"/crm/leads/{lead_id}/move",
        data={
            "csrf_token": token,
            "stage": "contacted",
            "version": version,
            "next": "/crm/board",
            "note": f"{NAME} wants 40 mu",
        },
    )
    assert moved.status_code == 302
    with app.app_context():
        first = db.session.scalar(select(Contact.id).where(Contact.name == NAME))
    post_form(
        client,
        f"/crm/leads/{lead_id}/email",
        contact_id=str(first),
        template="first_reply",
        language="de",
        subject=f"Ihre Anfrage, {NAME}",
        body=f"Guten Tag {NAME},\n",
        action="send",
    )
    card = (io.BytesIO(b"\xff\xd8\xff\xe0 " + f"{NAME} {PHONE}".encode()), f"{NAME}-card.jpg")
    data = entry(
        fair,
        company_name=COMPANY,
        contact_name=NAME,
        email=EMAIL,
        phone=PHONE,
        notes=f"Met {NAME} at the booth",
        card_photo=card,
    )
    assert capture(client, fair, data).status_code == 201
    with app.app_context():
        captured = db.session.scalar(select(Lead.id).where(Lead.id != lead_id))
    merge = f"/crm/leads/{lead_id}/merge/{captured}"
    page = client.get(merge).get_data(as_text=True)
    post_form(
        client, merge, version=hidden(page, "version"), other_version=hidden(page, "other_version")
    )
    job_id = job_id_of(upload(client, IMPORT_FILE, filename=f"messe {NAME}.csv", source="Messe"))
    assert save_mapping(client, job_id, STANDARD).status_code == 302
    with app.test_request_context():
        job = run_job(db.session.get(ImportJob, job_id))
        assert job.status == "done" and (job.merged, job.created, job.rejected) == (1, 1, 1)
    return lead_id, job_id


def database_dump(app) -> str:
    if TEST_DATABASE_URL:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            pytest.skip("pg_dump is not installed: the PostgreSQL dump cannot be searched")
        url = make_url(TEST_DATABASE_URL).set(drivername="postgresql")
        return subprocess.run(
            [pg_dump, "--data-only", "--dbname", url.render_as_string(hide_password=False)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
        ).stdout
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    with sqlite3.connect(path) as connection:
        return "\n".join(connection.iterdump())


def uploads(app) -> str:
    """Every file kept, on disk under UPLOAD_DIR or in the database, its key and its bytes, as
    text (the database dump shows stored files' bytes only encoded)."""
    with app.app_context():
        return "\n".join(
            f"{key}\n{read_bytes(store, key).decode('utf-8', 'replace')}"
            for store in (storage.disk(), storage.DatabaseStorage())
            for key in store.stored_keys()
        )


def read_bytes(store, key: str) -> bytes:
    with store.open(key) as stream:
        return stream.read()


def found(text: str) -> list[str]:
    text = text.lower()
    plain = text.replace("\\", "")
    return [n for n in FORBIDDEN if n.lower() in text or n.lower() in plain]


def test_anonymised_person_is_nowhere_in_the_database_dump_or_the_uploads(
    app, tmp_path, file_storage
):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")  # this test's files alone
    client = app.test_client()
    with app.app_context():
        cast = english_cast()
    lead_id, job_id = build_person(app, client, cast)
    before = database_dump(app) + uploads(app)
    # The search does see the person before: in the database and in both uploaded files.
    assert {"xanthippe", EMAIL, PHONE, E164, SECOND_NAME, SECOND_E164} <= set(found(before))
    with app.app_context():
        assert len(db.session.scalars(select(LeadFile)).all()) == 1
    assert anonymise(client, lead_id).status_code == 302

    after = database_dump(app) + uploads(app)
    assert found(after) == []
    assert OTHER.lower() in after.lower()  # the other person in the import is still there
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job.stored_path == "" and [e["outcome"] for e in job.report] == [
            "merged",
            "created",
            "rejected",
        ]
        said = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.entity_type == "ImportJob", AuditEntry.action == "anonymise"
            )
        )
        assert said.changes["file_removed"] == [False, True]
        assert said.changes["rows"] == [None, 2]
        lead = db.session.get(Lead, lead_id)
        assert lead.anonymised_at is not None and lead.stage == "contacted"
