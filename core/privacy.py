"""Personal data of leads: export everything held about a person, anonymise, apply retention."""

import io
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update

from core import notifications, webhooks
from core.appointments.privacy import appointment_rows, forget_appointments
from core.audit import record
from core.exports import write_csv
from core.extensions import db
from core.forgetting import ANONYMISED, Person, scrub_audit, scrub_elsewhere
from core.imports.forgetting import KeptFiles, forget_in_imports, import_rows
from core.leads import refresh_search_text
from core.models import (
    Activity,
    AuditEntry,
    ConsentRecord,
    Contact,
    DuplicateCandidate,
    InboundMail,
    Inquiry,
    Lead,
    LeadAlias,
    LeadFile,
    OutboxEmail,
    Referral,
    StageChange,
)
from core.models.base import utcnow
from core.settings import get as setting
from core.uploads import remove_after_commit

ANONYMISED_ADDRESS = "anonymised@invalid"


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str | dict | list):
        return value
    return str(value)


def _row(obj, fields: tuple[str, ...]) -> dict:
    return {name: _plain(getattr(obj, name)) for name in fields}


LEAD_FIELDS = (
    "id", "created_at", "source", "stage", "company_name", "company_name_latin", "code_name",
    "country", "industry", "language", "planned_investment", "investment_min", "investment_max",
    "investment_currency", "land_need_min_mu", "land_need_max_mu", "last_contact_at",
    "anonymised_at", "legal_hold",
)  # fmt: skip
CONTACT_FIELDS = (
    "id", "created_at", "name", "email", "phone", "mobile", "wechat_id", "language", "position",
)  # fmt: skip
INQUIRY_FIELDS = (
    "id", "contact_id", "created_at", "form", "language", "page", "plot_id", "message", "utm",
    "referral_code",
)  # fmt: skip
CONSENT_FIELDS = (
    "id", "contact_id", "inquiry_id", "created_at", "form", "language", "notice_version",
    "notice_hash", "processing", "sharing", "marketing",
)  # fmt: skip
ACTIVITY_FIELDS = ("id", "kind", "subject", "body", "occurred_at", "due_at", "done_at")
FILE_FIELDS = ("id", "created_at", "kind", "filename", "content_type", "size")
REFERRAL_FIELDS = (
    "id", "created_at", "origin", "company_name", "contact_name", "contact_email", "contact_phone",
    "contact_position", "contact_language", "plans", "how_known", "consent_at", "consent_language",
    "consent_hash", "shared_with_referrer", "decision",
)  # fmt: skip
EMAIL_FIELDS = ("id", "created_at", "to_address", "language", "subject", "body_text", "status")
STAGE_FIELDS = ("id", "at", "from_stage", "to_stage", "note")
AUDIT_FIELDS = ("id", "at", "actor", "action", "entity_type", "entity_id", "changes")


def person_data(lead: Lead, contact: Contact | None = None) -> dict:
    """Everything held about the lead's people (and those of leads merged into it), or about
    one contact of it."""
    lead_ids = _merged_ids(lead)
    contacts = [contact] if contact is not None else list(lead.contacts)
    ids = [c.id for c in contacts]
    inquiries = db.session.scalars(
        select(Inquiry).where(Inquiry.lead_id.in_(lead_ids)).order_by(Inquiry.id)
    ).all()
    if contact is not None:
        inquiries = [i for i in inquiries if i.contact_id == contact.id]
    addresses = {c.email.lower() for c in contacts if c.email}
    emails = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.lead_id.in_(lead_ids)).order_by(OutboxEmail.id)
    ).all()
    if contact is not None:
        emails = [e for e in emails if e.to_address.lower() in addresses]
    consents = db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.contact_id.in_(ids)).order_by(ConsentRecord.id)
    ).all()
    activities = db.session.scalars(
        select(Activity).where(Activity.lead_id.in_(lead_ids)).order_by(Activity.occurred_at)
    ).all()
    stages = db.session.scalars(
        select(StageChange)
        .where(StageChange.lead_id.in_(lead_ids))
        .order_by(StageChange.at, StageChange.id)
    ).all()
    # What a firm in the park told the bureau about the person when it referred them.
    referrals = db.session.scalars(
        select(Referral).where(Referral.lead_id.in_(lead_ids)).order_by(Referral.id)
    ).all()
    if contact is not None:
        referrals = [r for r in referrals if (r.contact_email or "").lower() in addresses]
    about = _about(lead_ids, ids, [a.id for a in activities], [r.id for r in referrals])
    audit = db.session.scalars(select(AuditEntry).where(about).order_by(AuditEntry.id)).all()
    person = Person(contacts=[contact]) if contact is not None else None
    return {
        "exported_at": utcnow().isoformat(),
        "lead": _row(lead, LEAD_FIELDS),
        "contacts": [_row(c, CONTACT_FIELDS) for c in contacts],
        "inquiries": [_row(i, INQUIRY_FIELDS) for i in inquiries],
        "consents": [_row(c, CONSENT_FIELDS) for c in consents],
        "activities": [_row(a, ACTIVITY_FIELDS) for a in activities],
        "stage_changes": [_row(c, STAGE_FIELDS) for c in stages],
        "referrals": [_row(r, REFERRAL_FIELDS) for r in referrals],
        "emails": [_row(e, EMAIL_FIELDS) for e in emails],
        "appointments": appointment_rows(lead_ids) if contact is None else [],
        "files": [_row(f, FILE_FIELDS) for f in _files(lead_ids)] if contact is None else [],
        "import_rows": [
            {k: _plain(v) for k, v in row.items()} for row in import_rows(lead_ids, person)
        ],
        "audit": [_row(e, AUDIT_FIELDS) for e in audit],
    }


def _about(lead_ids, contact_ids, activity_ids, referral_ids):
    """The audit entries about the lead, its people, what was done with them, their referrals."""
    return or_(
        *(
            (AuditEntry.entity_type == kind) & AuditEntry.entity_id.in_(ids)
            for kind, ids in (
                ("Lead", lead_ids),
                ("Contact", contact_ids),
                ("Activity", activity_ids),
                ("Referral", referral_ids),
            )
        )
    )


def _files(lead_ids: list[int]) -> list[LeadFile]:
    return list(
        db.session.scalars(
            select(LeadFile).where(LeadFile.lead_id.in_(lead_ids)).order_by(LeadFile.id)
        )
    )


def _forget_files(lead_ids: list[int]) -> None:
    """Business-card photos show the person: their rows go now, the files once this commits."""
    files = _files(lead_ids)
    for kept in files:
        db.session.delete(kept)
    remove_after_commit(kept.path for kept in files)


def person_csv(data: dict) -> bytes:
    """One row per value (section, record, field, value): UTF-8 with BOM, formulas neutralised."""
    rows = []
    for section, content in data.items():
        if section == "exported_at":
            rows.append([section, "", "", content])
            continue
        for row in content if isinstance(content, list) else [content]:
            rows += [[section, row.get("id", ""), f, _flat(v)] for f, v in row.items()]
    out = io.BytesIO()
    write_csv(out, ["section", "record", "field", "value"], rows)
    return out.getvalue()


def _flat(value):
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def _merged_ids(lead: Lead) -> list[int]:
    return [lead.id, *db.session.scalars(select(Lead.id).where(Lead.merged_into_id == lead.id))]


def anonymise(lead: Lead, actor: str | None = None, files: KeptFiles | None = None) -> None:
    """Replace the personal data of the lead (and of leads merged into it) wherever it was
    kept or copied; aggregates (stages and their dates, amounts, counts, consents) stay.

    Caller checks legal_hold and commits. Writes one audit entry on the lead, holding no
    personal data (and one on each import job it scrubbed). files: import files already read
    by an earlier call of the same run.
    """
    now = utcnow()
    lead_ids = _merged_ids(lead)
    leads = list(db.session.scalars(select(Lead).where(Lead.id.in_(lead_ids))))
    contacts = list(db.session.scalars(select(Contact).where(Contact.lead_id.in_(lead_ids))))
    contact_ids = [c.id for c in contacts]
    # Read before anything is overwritten: where the person was copied is found by these.
    person = Person(
        [name for each in leads for name in (each.company_name, each.company_name_latin)],
        contacts,
        lead.country,
    )
    addresses = {c.email.lower() for c in contacts if c.email}
    activity_ids = list(
        db.session.scalars(select(Activity.id).where(Activity.lead_id.in_(lead_ids)))
    )
    referral_ids = list(
        db.session.scalars(select(Referral.id).where(Referral.lead_id.in_(lead_ids)))
    )
    for number, contact in enumerate(contacts, start=1):
        contact.name = f"{ANONYMISED} {number}"
        contact.email = contact.phone = contact.position = None
        contact.mobile = contact.wechat_id = None
    db.session.execute(
        update(Inquiry)
        .where(Inquiry.lead_id.in_(lead_ids))
        .values(message="", utm={}, referral_code=None)
    )
    db.session.execute(
        update(Activity).where(Activity.lead_id.in_(lead_ids)).values(subject=ANONYMISED, body="")
    )
    db.session.execute(update(StageChange).where(StageChange.lead_id.in_(lead_ids)).values(note=""))
    _forget_referrals(Referral.lead_id.in_(lead_ids), lead.code_name or ANONYMISED)
    if addresses:  # the same person referred again and declined: never a lead of theirs
        _forget_referrals(
            Referral.lead_id.is_(None) & func.lower(Referral.contact_email).in_(addresses),
            ANONYMISED,
        )
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.lead_id.in_(lead_ids))
        .values(
            to_address=ANONYMISED_ADDRESS,
            subject=ANONYMISED,
            body_text="",
            last_error=None,
            reply_to=None,  # the bureau's notification answers the investor: their address
            calendar=None,  # an invitation names its attendees and their addresses
        )
    )
    # The matcher's reasons quote both sides' names and mail domains: only the codes stay.
    for flag in db.session.scalars(
        select(DuplicateCandidate).where(
            DuplicateCandidate.lead_id.in_(lead_ids) | DuplicateCandidate.other_id.in_(lead_ids)
        )
    ):
        flag.reasons = [
            {"code": reason["code"]} if isinstance(reason, dict) else reason
            for reason in flag.reasons or []
        ]
    # Mail they sent in (core/mail_in): its Message-ID stays, so it is not fetched again.
    db.session.execute(
        update(InboundMail)
        .where(InboundMail.lead_id.in_(lead_ids))
        .values(
            from_address=ANONYMISED_ADDRESS, from_name="", to_address="", subject=ANONYMISED,
            body_text="", raw=None, in_reply_to="", references="",
        )
    )  # fmt: skip
    appointment_ids = forget_appointments(lead_ids)
    _forget_files(lead_ids)
    forget_in_imports(person, lead_ids, actor=actor, files=files)
    scrub_elsewhere(person, lead_ids)
    notifications.forget(lead_ids, referral_ids)  # staff notices name the firm
    webhooks.forget(lead_ids)
    # The firm's other names would name it as plainly as the company name does.
    db.session.execute(delete(LeadAlias).where(LeadAlias.lead_id.in_(lead_ids)))
    for each in leads:
        each.company_name = each.code_name or ANONYMISED
        each.company_name_latin = None
        each.lost_note = ""
        each.anonymised_at = now
        db.session.expire(each, ["contacts", "inquiries", "aliases"])
        # Merged leads keep their own search text and keys from before the merge.
        refresh_search_text(each)
        each.company_key = ""
    scrub_audit(
        person,
        {
            "Lead": lead_ids,
            "Contact": contact_ids,
            "Activity": activity_ids,
            "Referral": referral_ids,
            "Appointment": appointment_ids,
        },
    )
    record("anonymise", lead, {"anonymised_at": [None, now]}, actor=actor)


def _forget_referrals(where, company: str) -> int:
    """The referred person's details go; the referral (who referred, when, decision) stays."""
    return db.session.execute(
        update(Referral)
        .where(where)
        .values(
            company_name=company, company_name_latin=None, company_key="",
            contact_name=ANONYMISED, contact_email=None, contact_phone=None,
            contact_position=None, plans="", how_known="", decline_message="",
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # fmt: skip


def old_referrals(now: datetime | None = None):
    """Referrals that never became a lead (declined, or never decided) past the retention period."""
    return (
        Referral.lead_id.is_(None),
        Referral.contact_name != ANONYMISED,
        Referral.created_at < retention_cutoff(now),
    )


def retention_cutoff(now: datetime | None = None) -> datetime:
    now = now or utcnow()
    years = int(setting("retention_years"))
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February in a year that has none
        return now.replace(year=now.year - years, day=28)


def due_for_retention(now: datetime | None = None) -> list[Lead]:
    """Leads silent for longer than the retention period, unless signed or on legal hold."""
    last_activity = func.coalesce(Lead.last_contact_at, Lead.created_at)
    return list(
        db.session.scalars(
            select(Lead)
            .where(
                Lead.merged_into_id.is_(None),
                Lead.anonymised_at.is_(None),
                Lead.legal_hold.is_(False),
                Lead.stage != "signed",
                last_activity < retention_cutoff(now),
            )
            .order_by(Lead.id)
        )
    )


def apply_retention(dry_run: bool = False, now: datetime | None = None) -> list[Lead]:
    """Anonymise every lead due (commits); with dry_run, only say which."""
    due = due_for_retention(now)
    if not dry_run:
        files = KeptFiles()
        for lead in due:
            anonymise(lead, actor="system", files=files)
        _forget_referrals(and_(*old_referrals(now)), ANONYMISED)
        db.session.commit()
    return due
