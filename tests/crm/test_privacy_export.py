"""The person export holds stage notes, files of merged leads, import rows and audit entries."""

import csv
import io
import json
from pathlib import Path

import pytest

from core.audit import record
from core.extensions import db
from core.imports import new_job, run_job
from core.leads import record_stage
from core.models import Contact, Lead, LeadFile
from tests.conftest import csrf_token
from tests.factories import english_cast, make_lead, sign_in_as

IMPORT_FILE = (
    "company,contact_name,email,phone,country,notes\n"
    "Müller Präzisionstechnik GmbH,Anna Müller,anna@mueller.example,,DE,Met at Hannover\n"
    "Other Firm AG,Otto Other,otto@other.example,,DE,\n"
).encode()
MAPPING = {
    "company": "company", "contact_name": "contact_name", "email": "email", "phone": "phone",
    "country": "country", "notes": "notes",
}  # fmt: skip


@pytest.fixture
def people(app):
    """Anna's lead with a stage note, a lead merged into it with a card photo, an import row
    merged into it, an edit of Anna's name; Jean, a second contact, in none of it."""
    with app.app_context(), app.test_request_context():
        cast = english_cast()
        lead = make_lead()
        anna = lead.contacts[0]
        jean = Contact(lead_id=lead.id, name="Jean Dupont", email="jean@dupont.example",
                       language="fr")  # fmt: skip
        db.session.add(jean)
        record_stage(lead, "contacted", note="Anna asked for 40 mu")
        merged = make_lead("Müller GmbH", email="a.mueller@mueller.example")
        merged.merged_into_id = lead.id
        relative = f"leads/{merged.id}/card.jpg"
        photo = Path(app.config["UPLOAD_DIR"]) / relative
        photo.parent.mkdir(parents=True, exist_ok=True)
        photo.write_bytes(b"\xff\xd8\xff\xe0 card")
        db.session.add(
            LeadFile(lead_id=merged.id, kind="business_card", filename="anna-card.jpg",
                     content_type="image/jpeg", size=9, path=relative)
        )  # fmt: skip
        record("update", anna, {"name": ["Anna Mueller", "Anna Müller"]}, actor="system")
        db.session.commit()
        job = new_job(IMPORT_FILE, "fair.csv", user=None)
        job.mapping = MAPPING
        db.session.commit()
        job = run_job(job)
        assert job.merged == 1 and job.created == 1
        return cast, lead.id, anna.id, jean.id, job.id


def export(app, client, cast, lead_id, fmt, contact=""):
    with app.app_context():
        sign_in_as(client, cast.manager)
    url = f"/crm/leads/{lead_id}/person-export"
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "format": fmt, "contact": contact})
    assert response.status_code == 200
    return response


def test_json_export_has_stage_notes_merged_files_import_rows_and_audit(app, client, people):
    cast, lead_id, anna, _jean, job_id = people
    data = json.loads(export(app, client, cast, lead_id, "json").data)
    assert "Anna asked for 40 mu" in [c["note"] for c in data["stage_changes"]]
    assert [f["filename"] for f in data["files"]] == ["anna-card.jpg"]
    [row] = data["import_rows"]
    assert (row["import"], row["row"], row["outcome"]) == (job_id, 1, "merged")
    assert row["values"]["email"] == "anna@mueller.example"
    assert row["values"]["notes"] == "Met at Hannover"
    renamed = [e for e in data["audit"] if e["entity_type"] == "Contact"]
    assert [e["changes"]["name"] for e in renamed] == [["Anna Mueller", "Anna Müller"]]
    assert renamed[0]["entity_id"] == anna
    actions = {(e["entity_type"], e["action"]) for e in data["audit"]}
    assert ("Lead", "merge") in actions  # the import's merge into the lead


def test_csv_export_has_the_same_sections(app, client, people):
    cast, lead_id, *_ = people
    raw = export(app, client, cast, lead_id, "csv").get_data().decode("utf-8-sig")
    values = {}
    for section, _record, field, value in list(csv.reader(io.StringIO(raw)))[1:]:
        values.setdefault((section, field), []).append(value)
    assert "Anna asked for 40 mu" in values[("stage_changes", "note")]
    assert values[("files", "filename")] == ["anna-card.jpg"]
    assert "email=anna@mueller.example" in values[("import_rows", "values")][0]
    assert any("Anna Mueller" in v for v in values[("audit", "changes")])


def test_one_contacts_export_holds_only_their_import_rows_and_audit(app, client, people):
    cast, lead_id, anna, jean, _job = people
    data = json.loads(export(app, client, cast, lead_id, "json", str(anna)).data)
    assert len(data["import_rows"]) == 1
    assert any(e["entity_id"] == anna for e in data["audit"] if e["entity_type"] == "Contact")
    data = json.loads(export(app, client, cast, lead_id, "json", str(jean)).data)
    assert data["import_rows"] == []
    assert not any(e["entity_type"] == "Contact" and e["entity_id"] == anna for e in data["audit"])
    with app.app_context():
        assert db.session.get(Lead, lead_id).anonymised_at is None
