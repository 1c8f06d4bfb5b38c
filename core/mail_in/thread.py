"""Putting a received mail where it belongs: stored once (whoever fetches it first), on its lead
(by reply token, then the thread's Message-IDs, then the sender as a contact) or in triage; the
owner told of a real reply; a bounce marks the contact's address."""

import logging
import re

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from core import audit, notifications, webhooks
from core.extensions import db
from core.mail_in import addresses, attachments
from core.mail_in.parse import TEXT_MAX, ParsedMail, Unparseable, digest_id, parse
from core.models import Contact, InboundMail, Lead, OutboxEmail, User
from core.models.base import utcnow

log = logging.getLogger(__name__)
MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")


def last_mail_from(lead_id: int, address: str | None) -> InboundMail | None:
    """The latest mail this address sent about the lead: an answer to it continues its thread."""
    if not address:
        return None
    return db.session.scalar(
        select(InboundMail)
        .where(
            InboundMail.lead_id == lead_id,
            InboundMail.status == "threaded",
            InboundMail.from_address == address.strip().lower(),
        )
        .order_by(InboundMail.fetched_at.desc(), InboundMail.id.desc())
        .limit(1)
    )


def _survivor(lead_id: int | None) -> int | None:
    """A merged lead's mail goes to the lead it was merged into."""
    for _ in range(10):  # merges chain at most a few times; never loop on bad data
        merged_into = lead_id and db.session.scalar(
            select(Lead.merged_into_id).where(Lead.id == lead_id)
        )
        if not merged_into:
            return lead_id
        lead_id = merged_into
    return lead_id


def find_lead(mail: ParsedMail) -> tuple[int | None, str | None]:
    """(lead id, how it was found), or (None, None) for triage."""
    lead_id = addresses.lead_from_addresses(mail.recipients, mail.subject)
    if lead_id and db.session.get(Lead, lead_id):
        return _survivor(lead_id), "token"
    ids = MESSAGE_ID_RE.findall(f"{mail.in_reply_to} {mail.references}")
    if ids:
        lead_id = db.session.scalar(
            select(OutboxEmail.lead_id).where(
                OutboxEmail.message_id.in_(ids), OutboxEmail.lead_id.is_not(None)
            )
        ) or db.session.scalar(
            select(InboundMail.lead_id).where(
                InboundMail.message_id.in_(ids), InboundMail.lead_id.is_not(None)
            )
        )
        if lead_id:
            return _survivor(lead_id), "thread"
    if mail.from_address:
        leads = set(
            db.session.scalars(
                select(Contact.lead_id)
                .join(Lead, Lead.id == Contact.lead_id)
                .where(
                    func.lower(Contact.email) == mail.from_address,
                    Lead.merged_into_id.is_(None),
                    Lead.anonymised_at.is_(None),
                )
            )
        )
        if len(leads) == 1:  # a sender on several leads: a person chooses
            return leads.pop(), "contact"
    return None, None


def _insert(values: dict) -> InboundMail | None:
    """Insert unless the Message-ID is already stored: two fetchers keep one row, and only the
    one that inserted it goes on to thread it."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(InboundMail)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["message_id"])
        .returning(InboundMail.id)
    )
    new_id = db.session.execute(statement).scalar()
    return db.session.get(InboundMail, new_id) if new_id else None


def store(raw: bytes, folder: str, uidvalidity: int, uid: int) -> InboundMail | None:
    """Keep one fetched mail and thread it; None when another fetcher stored it first.
    The caller commits."""
    where = {"imap_folder": folder, "imap_uidvalidity": uidvalidity, "imap_uid": uid}
    try:
        parsed = parse(raw)
    except Unparseable as exc:
        values = {"message_id": digest_id(raw), "raw": raw, "parse_error": str(exc)[:2000]}
        failed = _insert({**where, **values, "raw_size": len(raw), "status": "failed"})
        if failed is not None:
            audit.record("create", failed, {"status": [None, "failed"]})
        return failed
    mail = _insert({**where, **_fields(parsed), "raw_size": len(raw), "status": "triage"})
    if mail is None:
        return None
    own = db.session.execute(
        select(OutboxEmail.lead_id).where(OutboxEmail.message_id == parsed.message_id)
    ).first()
    if own is not None:
        mail.status, mail.lead_id = "own", own.lead_id
        return mail
    lead_id, matched_by = find_lead(parsed)
    if parsed.kind == "bounce":
        _mark_bounced(mail, parsed)
    elif lead_id is None:
        mail.raw = raw  # triage: attachments are kept once a person chooses the lead
    else:
        thread_onto(mail, db.session.get(Lead, lead_id), parsed, matched_by)
    audit.record("create", mail, {"status": [None, mail.status], "lead_id": [None, mail.lead_id]})
    return mail


def store_oversized(folder: str, uidvalidity: int, uid: int, size: int, limit_mb: int):
    """A mail too large to download: recorded (failed, in triage) so a person looks for it in
    the mailbox; None when another fetcher recorded it first."""
    mail = _insert(
        {
            "imap_folder": folder,
            "imap_uidvalidity": uidvalidity,
            "imap_uid": uid,
            "message_id": f"imap:{folder}:{uidvalidity}:{uid}"[:500],
            "raw_size": size,
            "status": "failed",
            "parse_error": f"larger than {limit_mb} MB: left in the mailbox ({folder}, UID {uid})",
        }
    )
    if mail is not None:
        audit.record("create", mail, {"status": [None, "failed"]})
    return mail


def _fields(parsed: ParsedMail) -> dict:
    return {
        "message_id": parsed.message_id,
        "from_name": parsed.from_name,
        "from_address": parsed.from_address,
        "to_address": ", ".join(parsed.recipients)[:1000],
        "subject": parsed.subject,
        "sent_at": parsed.sent_at,
        "in_reply_to": parsed.in_reply_to,
        "references": parsed.references,
        "body_text": parsed.body_text,
        "from_html": parsed.from_html,
    }


def thread_onto(
    mail: InboundMail, lead: Lead, parsed: ParsedMail, matched_by: str, by: User | None = None
) -> None:
    """Put the mail on the lead: attachments kept with it, the owner told of a real reply."""
    mail.lead_id, mail.matched_by, mail.raw = lead.id, matched_by, None
    mail.status = "auto_reply" if parsed.kind == "auto_reply" else "threaded"
    kept, left_out = attachments.keep(lead.id, parsed.attachments)
    db.session.add_all(kept)
    mail.left_out = ", ".join(left_out)[:2000]
    if mail.status == "threaded":
        owner = lead.owner
        if owner is not None and owner.active and (by is None or by.id != owner.id):
            notifications.reply_received(owner, lead, mail, len(kept), by=by)
        if by is None:  # threaded as it came in (not attached from triage later): the group hears
            webhooks.reply_received(lead)


def _mark_bounced(mail: InboundMail, parsed: ParsedMail) -> None:
    """Every contact with a bounced address is marked; the report stays with their lead."""
    mail.status = "bounce"
    if not parsed.bounced:
        return
    contacts = db.session.scalars(
        select(Contact).where(func.lower(Contact.email).in_(parsed.bounced))
    ).all()
    for contact in contacts:
        if contact.email_bounced_at is None:
            contact.email_bounced_at = utcnow()
            audit.record("update", contact, {"email_bounced_at": [None, contact.email_bounced_at]})
        mail.lead_id = mail.lead_id or _survivor(contact.lead_id)


def attach(mail: InboundMail, lead: Lead, person: User) -> None:
    """A person puts a triage (or unreadable) mail on a lead: as if it had been threaded there,
    attachments kept; an unreadable one is shown as the text its bytes make."""
    before = (mail.status, mail.lead_id)
    try:
        parsed = parse(mail.raw) if mail.raw else None
    except Unparseable:
        parsed = None
    if parsed is None:
        mail.body_text = (mail.raw or b"").decode("utf-8", "replace")[:TEXT_MAX]
        parsed = ParsedMail("", "", mail.from_address, [], mail.subject, None, "", "", "", False)
    thread_onto(mail, lead, parsed, "person", by=person)
    mail.status, mail.handled_by_id = "threaded", person.id
    audit.record(
        "update",
        mail,
        {"status": [before[0], mail.status], "lead_id": [before[1], lead.id]},
    )
