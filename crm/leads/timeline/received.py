"""Mail the investor sent in (core/mail_in) on the lead's timeline: replies, automatic replies
(shown, never counted as an answer) and reports of mail that could not be delivered."""

from flask_babel import gettext
from sqlalchemy import select

from core.extensions import db
from core.models import InboundMail
from crm.leads.timeline.entry import Entry, folded

SHOWN = ("threaded", "auto_reply", "bounce")


def _sentence(mail: InboundMail) -> str:
    sender = mail.from_name or mail.from_address
    if mail.status == "auto_reply":
        return gettext("Automatic reply from %(who)s (not an answer)", who=sender)
    if mail.status == "bounce":
        return gettext("A mail to the investor could not be delivered (%(who)s)", who=sender)
    return gettext("%(who)s wrote to the bureau", who=sender)


def received_mails(lead_ids: list[int]) -> list[Entry]:
    mails = db.session.scalars(
        select(InboundMail).where(InboundMail.lead_id.in_(lead_ids), InboundMail.status.in_(SHOWN))
    )
    entries = []
    for mail in mails:
        facts = [gettext("From %(address)s", address=mail.from_address)]
        if mail.left_out:
            facts.append(
                gettext("Attachments not kept (type or size): %(names)s", names=mail.left_out)
            )
        entries.append(
            Entry(
                at=mail.sent_at or mail.fetched_at,
                kind="mail",
                sentence=_sentence(mail),
                subject=mail.subject,
                preview=folded(mail.body_text),
                text=mail.body_text,
                facts=facts,
                order=3,
                reply_id=mail.id if mail.status == "threaded" else None,
            )
        )
    return entries
