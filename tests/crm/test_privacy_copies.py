"""Anonymising reaches copies of a person outside their lead: mails, list exports, saved
searches, a declined referral of theirs, and every import job reading the file that names them."""

from datetime import UTC, datetime

from sqlalchemy import select

from core import privacy
from core.extensions import db
from core.imports import new_job, run_job
from core.models import AuditEntry, Export, ImportJob, OutboxEmail, Referral, SavedFilter, User
from tests.conftest import stored
from tests.crm.test_privacy import referral_of
from tests.factories import english_cast, make_lead

FILE = (
    "company,contact_name,email,country\n"
    "Müller Präzisionstechnik GmbH,Anna Müller,anna@mueller.example,DE\n"
).encode()


def test_copies_outside_the_lead_are_scrubbed_and_the_shared_import_file_removed(app, file_storage):
    with app.app_context(), app.test_request_context():
        cast = english_cast()
        lead = make_lead()
        other = make_lead("Keller AG", contact_name="Petra Keller", email="petra@keller.example")
        notice = OutboxEmail(kind="referral_notification", to_address="bureau@park.example",
                             language="zh", subject="New referral: Müller Präzisionstechnik GmbH",
                             body_text="Contact: Anna Müller <anna@mueller.example>")  # fmt: skip
        listed = Export(user_id=cast.manager, format="csv", query="q=Anna+M%C3%BCller&stage=new")
        listed_other = Export(user_id=cast.manager, format="csv", query="q=Keller")
        saved = SavedFilter(
            user_id=cast.manager, name="Anna Müller", query="q=anna%40mueller.example"
        )
        db.session.add_all([notice, listed, listed_other, saved])
        db.session.flush()
        db.session.execute(Export.__table__.metadata.tables["export_lead"].insert(), [
            {"export_id": listed.id, "lead_id": lead.id},
            {"export_id": listed_other.id, "lead_id": other.id},
        ])  # fmt: skip
        db.session.commit()
        declined = referral_of(None)
        job = new_job(FILE, "Anna Müller.csv", user=db.session.get(User, cast.manager))
        job.mapping = {"company": "company", "contact_name": "contact_name", "email": "email",
                       "country": "country"}  # fmt: skip
        db.session.commit()
        job = run_job(job)
        again = ImportJob(filename=job.filename, stored_path=job.stored_path, status="draft",
                          created_at=datetime.now(UTC))  # fmt: skip
        db.session.add(again)
        db.session.commit()
        key = job.stored_path
        assert stored(key)

        privacy.anonymise(lead, actor="system")
        db.session.commit()

        assert "Anna" not in notice.subject + notice.body_text
        assert "mueller.example" not in notice.body_text and "Präzision" not in notice.subject
        assert "Anna" not in listed.query and "stage=new" in listed.query
        assert listed_other.query == "q=Keller"
        assert "Anna" not in saved.name and "mueller" not in saved.query
        assert db.session.get(Referral, declined).contact_email is None
        assert stored(key) is None
        for each in (db.session.get(ImportJob, job.id), db.session.get(ImportJob, again.id)):
            assert each.stored_path == "" and "Anna" not in each.filename
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "ImportJob")
        )
        assert "Anna" not in " ".join(str(e.changes) for e in entries)
        assert db.session.get(type(other), other.id).contacts[0].name == "Petra Keller"
