"""Personal data: export (JSON, CSV), anonymisation, retention job, legal hold, roles."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import storage
from core.audit import record
from core.extensions import db
from core.models import (
    Activity,
    AuditEntry,
    ConsentRecord,
    Contact,
    Inquiry,
    Lead,
    LeadFile,
    OutboxEmail,
    StageChange,
    User,
)
from tests.conftest import csrf_token, stored
from tests.factories import make_lead, signed_in

PERSONAL = ("Anna", "anna@mueller.example", "+4930", "Müller", "Secret plans", "spring", "REF-9")


@pytest.fixture
def lead_id(app, cast):
    """A lead with everything personal in it: contact, inquiry, consent, activity, email, edit."""
    with app.app_context():
        lead = make_lead(
            "Müller Präzisionstechnik GmbH",
            owner=db.session.get(User, cast.officer),
            phone="+49 30 1234567",
        )
        lead.planned_investment = Decimal("80000000")
        contact = lead.contacts[0]
        contact.position = '=HYPERLINK("http://evil")'
        inquiry = Inquiry(
            lead_id=lead.id,
            contact_id=contact.id,
            submission_key="p1",
            language="de",
            message="Secret plans for Müller",
            utm={"utm_campaign": "spring"},
            referral_code="REF-9",
        )
        db.session.add(inquiry)
        db.session.flush()
        db.session.add_all(
            [
                ConsentRecord(
                    contact_id=contact.id,
                    inquiry_id=inquiry.id,
                    form="website",
                    language="de",
                    notice_version="2025-01",
                    notice_hash="a" * 64,
                    processing=True,
                    marketing=True,
                ),
                Activity(lead_id=lead.id, kind="call", subject="Call with Anna", body="Müller"),
                OutboxEmail(
                    kind="crm",
                    to_address="anna@mueller.example",
                    language="de",
                    subject="Dear Anna Müller",
                    body_text="Dear Anna Müller, ...",
                    lead_id=lead.id,
                ),
            ]
        )
        record("update", contact, {"name": ["Anna Mueller", "Anna Müller"]}, actor="system")
        db.session.commit()
        return lead.id


def export(client, lead_id, fmt, contact=""):
    url = f"/crm/leads/{lead_id}/person-export"
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "format": fmt, "contact": contact})


def test_json_export_holds_everything_and_is_logged(app, client, cast, lead_id):
    signed_in(app, cast.manager, client)
    response = export(client, lead_id, "json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["contacts"][0]["email"] == "anna@mueller.example"
    assert data["inquiries"][0]["message"] == "Secret plans for Müller"
    assert data["consents"][0]["marketing"] is True
    assert data["activities"][0]["subject"] == "Call with Anna"
    assert data["emails"][0]["subject"] == "Dear Anna Müller"
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export"))
        assert entry.entity_id == lead_id and entry.actor == f"user:{cast.manager}"
        assert entry.changes["format"] == [None, "json"]
    page = client.get(f"/crm/leads/{lead_id}").get_data(as_text=True)
    assert "exported the personal data (JSON)" in page[page.index('class="lead-timeline"') :]


def test_csv_export_has_bom_and_neutralised_cells(app, client, cast, lead_id):
    signed_in(app, cast.admin, client)
    response = export(client, lead_id, "csv")
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["section", "record", "field", "value"]
    values = {(r[0], r[2]): r[3] for r in rows[1:]}
    assert values[("contacts", "email")] == "anna@mueller.example"
    assert values[("contacts", "position")].startswith("'=")
    assert values[("lead", "company_name")] == "Müller Präzisionstechnik GmbH"


def test_export_of_one_contact_and_bad_contact_ids(app, client, cast, lead_id):
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        db.session.add(Contact(lead_id=lead_id, name="Jean Dupont", language="fr"))
        other = make_lead("Other AG", email="o@other.example")
        db.session.commit()
        anna, other_contact = lead.contacts[0].id, other.contacts[0].id
    signed_in(app, cast.manager, client)
    data = json.loads(export(client, lead_id, "json", str(anna)).get_data(as_text=True))
    assert [c["name"] for c in data["contacts"]] == ["Anna Müller"]
    assert export(client, lead_id, "json", str(other_contact)).status_code == 404
    assert export(client, lead_id, "json", "abc").status_code == 404
    assert export(client, lead_id, "xml").status_code == 200  # the form again, no download
    assert export(client, lead_id, "xml").mimetype == "text/html"


def test_privacy_routes_are_for_managers_only(app, client, cast, lead_id):
    for user_id in (cast.officer, cast.leader):
        signed_in(app, user_id, client)
        assert client.get(f"/crm/leads/{lead_id}/person-export").status_code == 403
        assert client.get(f"/crm/leads/{lead_id}/anonymise").status_code == 403
    signed_in(app, cast.manager, client)
    assert client.get("/crm/leads/99999/anonymise").status_code == 404
    assert client.get("/crm/leads/99999999999/person-export").status_code == 404


def anonymise(client, lead_id):
    url = f"/crm/leads/{lead_id}/anonymise"
    page = client.get(url).get_data(as_text=True)
    token = csrf_token(page)
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    return client.post(url, data={"csrf_token": token, "version": version})


def everything_stored(lead_id) -> str:
    """Every text stored for the lead, its contacts, and their audit entries, as one string."""
    lead = db.session.get(Lead, lead_id)
    contact_ids = [c.id for c in lead.contacts]
    parts = [lead.company_name, lead.company_name_latin, lead.search_text, lead.lost_note]
    for c in lead.contacts:
        parts += [c.name, c.email, c.phone, c.position]
    for i in db.session.scalars(select(Inquiry).where(Inquiry.lead_id == lead_id)):
        parts += [i.message, json.dumps(i.utm), i.referral_code]
    for a in db.session.scalars(select(Activity).where(Activity.lead_id == lead_id)):
        parts += [a.subject, a.body]
    for e in db.session.scalars(select(OutboxEmail).where(OutboxEmail.lead_id == lead_id)):
        parts += [e.to_address, e.subject, e.body_text]
    for s in db.session.scalars(select(StageChange).where(StageChange.lead_id == lead_id)):
        parts.append(s.note)
    for entry in db.session.scalars(select(AuditEntry)):
        if (entry.entity_type, entry.entity_id) == ("Lead", lead_id) or (
            entry.entity_type == "Contact" and entry.entity_id in contact_ids
        ):
            parts.append(json.dumps(entry.changes, ensure_ascii=False))
    return " ".join(str(p) for p in parts if p)


def test_anonymise_removes_personal_data_and_keeps_aggregates(app, client, cast, lead_id):
    signed_in(app, cast.manager, client)
    response = anonymise(client, lead_id)
    assert response.status_code == 302
    with app.app_context():
        stored = everything_stored(lead_id)
        for personal in PERSONAL:
            assert personal not in stored, personal
        lead = db.session.get(Lead, lead_id)
        assert lead.company_name == lead.code_name and lead.anonymised_at is not None
        assert (lead.stage, lead.country, lead.industry) == ("new", "DE", "precision-machinery")
        assert lead.planned_investment == Decimal("80000000")
        consent = db.session.scalar(select(ConsentRecord))
        assert consent.processing and consent.marketing and consent.notice_version == "2025-01"
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "anonymise")
        ).all()
        assert len(entries) == 1 and entries[0].entity_id == lead_id
    token = csrf_token(client.get("/crm/account").get_data(as_text=True))
    again = client.post(f"/crm/leads/{lead_id}/anonymise", data={"csrf_token": token})
    assert again.status_code == 409
    assert "anonymised already" in again.get_data(as_text=True)


def test_legal_hold_stops_anonymisation(app, client, cast, lead_id):
    with app.app_context():
        db.session.get(Lead, lead_id).legal_hold = True
        db.session.commit()
    signed_in(app, cast.manager, client)
    page = client.get(f"/crm/leads/{lead_id}/anonymise").get_data(as_text=True)
    assert "legal hold" in page
    token = csrf_token(client.get("/crm/account").get_data(as_text=True))
    response = client.post(f"/crm/leads/{lead_id}/anonymise", data={"csrf_token": token})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Lead, lead_id).anonymised_at is None
        assert "Anna Müller" in everything_stored(lead_id)


def age(app, lead_id, days, **values):
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        lead.created_at = datetime.now(UTC) - timedelta(days=days)
        for key, value in values.items():
            setattr(lead, key, value)
        db.session.commit()


def test_retention_dry_run_then_real(app, cast, lead_id):
    with app.app_context():
        recent = make_lead("Recent GmbH", email="r@recent.example").id
        signed = make_lead("Signed GmbH", email="s@signed.example", stage="signed").id
        held = make_lead("Held GmbH", email="h@held.example").id
        talked = make_lead("Talked GmbH", email="t@talked.example").id
        db.session.commit()
    old = 4 * 365 + 2  # beyond the default three years
    age(app, lead_id, old)
    age(app, signed, old)
    age(app, held, old, legal_hold=True)
    age(app, talked, old, last_contact_at=datetime.now(UTC) - timedelta(days=30))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["apply-retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"lead {lead_id} " in dry.output and "1 lead(s) would be anonymised" in dry.output
    with app.app_context():
        assert db.session.get(Lead, lead_id).anonymised_at is None
    real = runner.invoke(args=["apply-retention"])
    assert real.exit_code == 0 and "1 lead(s) anonymised" in real.output
    with app.app_context():
        assert db.session.get(Lead, lead_id).anonymised_at is not None
        assert "Anna Müller" not in everything_stored(lead_id)
        for kept in (recent, signed, held, talked):
            assert db.session.get(Lead, kept).anonymised_at is None
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "anonymise"))
        assert entry.actor == "system"
    assert "0 lead(s) anonymised" in runner.invoke(args=["apply-retention"]).output


def test_business_card_photos_are_exported_listed_and_removed_with_the_person(
    app, client, cast, lead_id, file_storage
):
    with app.app_context():
        relative = f"leads/{lead_id}/card.jpg"
        storage.backend().put(relative, io.BytesIO(b"\xff\xd8\xff\xe0 a business card"))
        db.session.add(
            LeadFile(lead_id=lead_id, kind="business_card", filename="card.jpg",
                     content_type="image/jpeg", size=20, path=relative)
        )  # fmt: skip
        db.session.commit()
    signed_in(app, cast.manager, client)
    data = json.loads(export(client, lead_id, "json").get_data(as_text=True))
    assert [f["filename"] for f in data["files"]] == ["card.jpg"]
    assert anonymise(client, lead_id).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(LeadFile)).all() == []
        assert stored(relative) is None


def referral_of(lead_id: int | None, days: int = 0, person: str = "Anna Müller") -> int:
    """A referral of the Müller lead by a firm in the park, as the portal stores it."""
    from core.enterprises import new_referral_code
    from core.models import Enterprise, Referral

    firm = db.session.scalar(select(Enterprise).where(Enterprise.slug == "wendel"))
    if firm is None:
        firm = Enterprise(
            slug="wendel", name="文德尔", industry="auto-parts", year_entered=2020,
            referral_code=new_referral_code(),
        )  # fmt: skip
        db.session.add(firm)
    referral = Referral(
        enterprise=firm, company_name="Müller Präzisionstechnik GmbH", country="DE",
        industry="precision-machinery", contact_name=person, contact_email="anna@mueller.example",
        contact_phone="+4930 1234567", contact_language="de", plans="Secret plans",
        how_known="since spring", lead_id=lead_id,
        created_at=datetime.now(UTC) - timedelta(days=days),
    )  # fmt: skip
    db.session.add(referral)
    db.session.commit()
    return referral.id


def test_referrals_are_exported_and_anonymised_with_the_person(app, client, cast, lead_id):
    from core.models import Referral

    with app.app_context():
        referral_id = referral_of(lead_id)
    signed_in(app, cast.manager, client)
    data = json.loads(export(client, lead_id, "json").data)
    assert [r["plans"] for r in data["referrals"]] == ["Secret plans"]
    anonymise(client, lead_id)
    with app.app_context():
        referral = db.session.get(Referral, referral_id)
        stored = " ".join(
            str(v)
            for v in (referral.company_name, referral.contact_name, referral.contact_email,
                      referral.contact_phone, referral.plans, referral.how_known)
        )  # fmt: skip
        for personal in ("Anna", "anna@mueller.example", "+4930", "Müller", "Secret", "spring"):
            assert personal not in stored, personal
        # who referred whom and when stays: the enterprise's credit and the leaderboard
        assert referral.enterprise.slug == "wendel" and referral.lead_id == lead_id


def test_retention_forgets_old_referrals_that_never_became_a_lead(app, cast):
    from core.models import Referral

    with app.app_context():
        old = referral_of(None, days=4 * 365, person="Old Person")
        recent = referral_of(None, days=10, person="Recent Person")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["apply-retention", "--dry-run"])
    assert "1 referral(s) that never became a lead would be anonymised" in dry.output
    real = runner.invoke(args=["apply-retention"])
    assert "1 referral(s) that never became a lead anonymised" in real.output
    with app.app_context():
        assert db.session.get(Referral, old).contact_email is None
        assert db.session.get(Referral, recent).contact_name == "Recent Person"
