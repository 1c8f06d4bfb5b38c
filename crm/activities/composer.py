"""What the composer starts from and carries: the recipients, the answer to a received mail
("Re: …", the quoted text, the thread), the lead's files that can go along and new uploads."""

import re
from dataclasses import dataclass

from babel.units import format_unit
from flask import request
from flask_babel import force_locale, format_datetime, get_locale, gettext
from flask_login import current_user
from sqlalchemy import or_, select

from core import attaching
from core.extensions import db
from core.mail_in.addresses import SUBJECT_TAG_RE
from core.mail_in.attachments import TYPES
from core.models import InboundMail, Lead, LeadFile
from core.models.base import MAX_ID
from crm.activities import bp

# Prefixes mail programs put before an answered subject: English, German, French, Chinese.
REPLY_PREFIX = re.compile(
    r"^\s*(?:re|aw|antw|réf|rép|答复|回复|回覆)\s*(?:\[\d+\])?\s*[:：]\s*", re.I
)
QUOTED_MAX = 12_000  # characters of the answered mail quoted: the letter stays under its limit
# A recipient who is the sender of the mail being answered but not a contact of the lead.
SENDER = 0


@dataclass
class Recipient:
    value: int
    name: str
    address: str
    language: str | None

    @property
    def label(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


def _lead_and_merged(lead_id: int):
    # A merge keeps both histories: mail and files of leads merged into this one are its own.
    return select(Lead.id).where(or_(Lead.id == lead_id, Lead.merged_into_id == lead_id))


def answered_mail(lead, mail_id) -> InboundMail | None:
    """The investor's mail being answered: one on this lead's timeline, else None."""
    try:
        mail_id = int(mail_id)
    except (TypeError, ValueError):
        return None
    if not 1 <= mail_id <= MAX_ID:  # PostgreSQL refuses a number past its integer column
        return None
    return db.session.scalar(
        select(InboundMail).where(
            InboundMail.id == mail_id,
            InboundMail.lead_id.in_(_lead_and_merged(lead.id)),
            InboundMail.status == "threaded",
        )
    )


def recipients(lead, answering: InboundMail | None) -> list[Recipient]:
    """The lead's contacts with an address; the sender of the answered mail too when they are
    none of them (a colleague of the contact answered, say)."""
    found = [Recipient(c.id, c.name, c.email, c.language) for c in lead.contacts if c.email]
    if answering is not None and answering.from_address:
        sender = answering.from_address.lower()
        if not any(r.address.strip().lower() == sender for r in found):
            found.append(Recipient(SENDER, answering.from_name, answering.from_address, None))
    return found


def recipient_for(found: list[Recipient], answering: InboundMail | None) -> Recipient | None:
    """Whom an answer goes to: the answered mail's sender."""
    if answering is None:
        return None
    sender = answering.from_address.lower()
    return next((r for r in found if r.address.strip().lower() == sender), None)


def reply_subject(subject: str) -> str:
    """ "Re: " once before the answered subject, without our lead tag (the outbox adds it)."""
    subject = SUBJECT_TAG_RE.sub("", subject or "")
    while REPLY_PREFIX.match(subject):
        subject = REPLY_PREFIX.sub("", subject, count=1)
    return "Re: " + " ".join(subject.split())


def quoted(mail: InboundMail, lang: str) -> str:
    """The answered mail below the answer: who wrote when, in the letter's language, and its
    lines marked with "> " as mail programs do."""
    text = (mail.body_text or "").strip()
    if len(text) > QUOTED_MAX:
        text = text[:QUOTED_MAX].rstrip() + "\n[…]"
    with force_locale(lang):
        when = format_datetime(mail.sent_at or mail.fetched_at, "medium")
        head = gettext(
            "On %(when)s, %(who)s wrote:", when=when, who=mail.from_name or mail.from_address
        )
    lines = "\n".join(f"> {line}".rstrip() for line in text.splitlines())
    return f"\n\n{head}\n{lines}\n"


def sendable_files(lead) -> list[LeadFile]:
    """The lead's files a mail may carry (the types we send; not a phone's HEIC photo)."""
    return list(
        db.session.scalars(
            select(LeadFile)
            .where(
                LeadFile.lead_id.in_(_lead_and_merged(lead.id)),
                LeadFile.content_type.in_(list(TYPES)),
            )
            .order_by(LeadFile.id)
        )
    )


def uploads() -> list:
    return [f for f in request.files.getlist("attachments") if f and f.filename]


def read_uploads(files) -> tuple[list[tuple[bytes, str, str]], list[str]]:
    """([(data, type, name)] of the uploads we send, [messages about those we do not])."""
    checked, problems = [], []
    for upload in files:
        data = upload.stream.read(attaching.MAX_BYTES + 1)
        try:
            kind, name = attaching.check(data, upload.filename)
        except attaching.AttachmentRefused as refused:
            problems.append(str(refused))
            continue
        checked.append((data, kind, name))
    return checked, problems


def keep_uploads(lead, checked) -> list[LeadFile]:
    """Store checked uploads with the lead; StorageUnavailable passes up (nothing kept)."""
    return [
        attaching.keep(lead.id, data, kind, name, current_user.id) for data, kind, name in checked
    ]


@bp.app_template_filter("file_size")
def file_size(size: int) -> str:
    """A file's size as the reader writes it: 45 B, 350 kB, 1,2 Mo."""
    for unit, factor in (("digital-megabyte", 1024 * 1024), ("digital-kilobyte", 1024)):
        if size >= factor:
            return format_unit(size / factor, unit, "short", "#,##0.#", get_locale())
    return format_unit(size, "digital-byte", "short", locale=get_locale())
