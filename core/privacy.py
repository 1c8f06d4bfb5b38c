"""Personal data of leads: export everything held about a person, anonymise, apply retention."""

import io
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import and_, event, func, or_, select, update

from core.audit import record
from core.exports import write_csv
from core.extensions import db
from core.leads import refresh_search_text
from core.models import (
    Activity,
    AuditEntry,
    ConsentRecord,
    Contact,
    Inquiry,
    Lead,
    LeadFile,
    OutboxEmail,
    Referral,
    StageChange,
)
from core.models.base import utcnow
from core.settings import get as setting

ANONYMISED = "(anonymised)"
ANONYMISED_ADDRESS = "anonymised@invalid"
# Audit values under these keys can name a person; anonymising blanks them, the rest survives.
PERSONAL_FIELDS = frozenset(
    {
        "name",
        "email",
        "phone",
        "position",
        "company_name",
        "company_name_latin",
        "message",
        "utm",
        "referral_code",
        "lost_note",
        "subject",
        "body",
        "note",
        "to_address",
    }
)


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
CONTACT_FIELDS = ("id", "created_at", "name", "email", "phone", "language", "position")
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


def person_data(lead: Lead, contact: Contact | None = None) -> dict:
    """Everything held about the lead's people, or about one contact of it."""
    contacts = [contact] if contact is not None else list(lead.contacts)
    ids = [c.id for c in contacts]
    inquiries = db.session.scalars(
        select(Inquiry).where(Inquiry.lead_id == lead.id).order_by(Inquiry.id)
    ).all()
    if contact is not None:
        inquiries = [i for i in inquiries if i.contact_id == contact.id]
    addresses = {c.email.lower() for c in contacts if c.email}
    emails = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.lead_id == lead.id).order_by(OutboxEmail.id)
    ).all()
    if contact is not None:
        emails = [e for e in emails if e.to_address.lower() in addresses]
    consents = db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.contact_id.in_(ids)).order_by(ConsentRecord.id)
    ).all()
    activities = db.session.scalars(
        select(Activity).where(Activity.lead_id == lead.id).order_by(Activity.occurred_at)
    ).all()
    # What a firm in the park told the bureau about the person when it referred them.
    referrals = db.session.scalars(
        select(Referral).where(Referral.lead_id == lead.id).order_by(Referral.id)
    ).all()
    if contact is not None:
        referrals = [r for r in referrals if (r.contact_email or "").lower() in addresses]
    return {
        "exported_at": utcnow().isoformat(),
        "lead": _row(lead, LEAD_FIELDS),
        "contacts": [_row(c, CONTACT_FIELDS) for c in contacts],
        "inquiries": [_row(i, INQUIRY_FIELDS) for i in inquiries],
        "consents": [_row(c, CONSENT_FIELDS) for c in consents],
        "activities": [_row(a, ACTIVITY_FIELDS) for a in activities],
        "referrals": [_row(r, REFERRAL_FIELDS) for r in referrals],
        "emails": [_row(e, EMAIL_FIELDS) for e in emails],
        "files": [_row(f, FILE_FIELDS) for f in _files([lead.id])] if contact is None else [],
    }


def _files(lead_ids: list[int]) -> list[LeadFile]:
    return list(
        db.session.scalars(
            select(LeadFile).where(LeadFile.lead_id.in_(lead_ids)).order_by(LeadFile.id)
        )
    )


def _forget_files(lead_ids: list[int]) -> None:
    """Business-card photos show the person: their rows go now, the files once this commits."""
    files = _files(lead_ids)
    root = Path(current_app.config["UPLOAD_DIR"])
    paths = [root / f.path for f in files]
    for kept in files:
        db.session.delete(kept)

    session = db.session()

    def remove(_session):
        event.remove(session, "after_rollback", keep)
        for path in paths:
            path.unlink(missing_ok=True)

    def keep(_session):
        # Rolled back: the rows are back, so the files stay.
        event.remove(session, "after_commit", remove)

    if paths:
        event.listen(session, "after_commit", remove, once=True)
        event.listen(session, "after_rollback", keep, once=True)


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


def anonymise(lead: Lead, actor: str | None = None) -> None:
    """Replace the personal data of the lead (and of leads merged into it); aggregates stay.

    Caller checks legal_hold and commits. Writes one audit entry on the lead.
    """
    now = utcnow()
    lead_ids = _merged_ids(lead)
    contact_ids = list(db.session.scalars(select(Contact.id).where(Contact.lead_id.in_(lead_ids))))
    for number, contact in enumerate(
        db.session.scalars(select(Contact).where(Contact.id.in_(contact_ids))), start=1
    ):
        contact.name = f"{ANONYMISED} {number}"
        contact.email = contact.phone = contact.position = None
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
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.lead_id.in_(lead_ids))
        .values(to_address=ANONYMISED_ADDRESS, subject=ANONYMISED, body_text="")
    )
    for each in db.session.scalars(select(Lead).where(Lead.id.in_(lead_ids))):
        each.company_name = each.code_name or ANONYMISED
        each.company_name_latin = None
        each.lost_note = ""
        each.anonymised_at = now
    _forget_files(lead_ids)
    db.session.expire(lead, ["contacts", "inquiries"])
    refresh_search_text(lead)
    lead.company_key = ""
    _scrub_audit(lead_ids, contact_ids)
    record("anonymise", lead, {"anonymised_at": [None, now]}, actor=actor)


def _forget_referrals(where, company: str) -> int:
    """The referred person's details go; the referral (who referred, when, decision) stays."""
    return db.session.execute(
        update(Referral)
        .where(where)
        .values(
            company_name=company, company_name_latin=None, company_key="",
            contact_name=ANONYMISED, contact_email=None, contact_phone=None,
            contact_position=None, plans="", how_known="",
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


def _scrub_audit(lead_ids: list[int], contact_ids: list[int]) -> None:
    """Old -> new values in the audit trail would keep names alive: blank the personal ones."""
    entries = db.session.scalars(
        select(AuditEntry).where(
            or_(
                (AuditEntry.entity_type == "Lead") & AuditEntry.entity_id.in_(lead_ids),
                (AuditEntry.entity_type == "Contact") & AuditEntry.entity_id.in_(contact_ids),
            )
        )
    )
    for entry in entries:
        if any(key in PERSONAL_FIELDS for key in entry.changes):
            entry.changes = {
                key: [ANONYMISED, ANONYMISED] if key in PERSONAL_FIELDS else pair
                for key, pair in entry.changes.items()
            }


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
        for lead in due:
            anonymise(lead, actor="system")
        _forget_referrals(and_(*old_referrals(now)), ANONYMISED)
        db.session.commit()
    return due


def init_app(app) -> None:
    """Register `flask apply-retention [--dry-run]` (for cron)."""

    @app.cli.command("apply-retention")
    @click.option("--dry-run", is_flag=True, help="Only list the leads that would be anonymised.")
    def apply_retention_command(dry_run: bool):
        """Anonymise leads silent for longer than the retention period (not signed, no hold)."""
        referrals = db.session.scalar(
            select(func.count()).select_from(Referral).where(*old_referrals())
        )
        due = apply_retention(dry_run=dry_run)
        for lead in due:
            last = lead.last_contact_at or lead.created_at
            click.echo(f"lead {lead.id} {lead.code_name}: last activity {last:%Y-%m-%d}")
        verb = "would be anonymised" if dry_run else "anonymised"
        click.echo(f"retention: {len(due)} lead(s) {verb}")
        click.echo(f"retention: {referrals} referral(s) that never became a lead {verb}")
        from core.imports.retention import remove_uploads

        files = remove_uploads(dry_run=dry_run)
        verb = "would be removed" if dry_run else "removed"
        click.echo(f"retention: {len(files)} uploaded import file(s) {verb}")
