"""One timeline of a lead in sentences: inquiries, emails, activities, meetings at fairs, stage
moves, edits and exports of the lead and of the leads merged into it, each event told once."""

from datetime import timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from core.choices import language_name
from core.extensions import db
from core.i18n import current_language, datetime_text
from core.models import (
    Activity,
    Appointment,
    AuditEntry,
    Contact,
    Export,
    Lead,
    LeadTouch,
    OutboxEmail,
    StageChange,
    User,
    export_lead,
)
from crm.leads.forms import SOURCE_LABELS
from crm.leads.timeline.appointments import MAIL_KINDS as APPOINTMENT_MAIL_KINDS
from crm.leads.timeline.appointments import appointment_entries
from crm.leads.timeline.changes import told
from crm.leads.timeline.entry import KINDS, Entry, folded
from crm.leads.timeline.received import received_mails
from crm.leads.timeline.values import shown

__all__ = ["KINDS", "Entry", "build", "counts", "of_kind"]

ACTIVITY_SENTENCES = {
    "call": _l("%(who)s logged a call: %(subject)s"),
    "meeting": _l("%(who)s logged a meeting: %(subject)s"),
    "site_visit": _l("%(who)s logged a site visit: %(subject)s"),
    "note": _l("%(who)s wrote a note: %(subject)s"),
    "task": _l("%(who)s set a task: %(subject)s"),
}
MAIL_KINDS = {
    "crm": _l("Letter written in the CRM"),
    "inquiry_confirmation": _l("Confirmation of an inquiry"),
    "inquiry_notification": _l("Notice of a new inquiry to the bureau"),
    "approval_overdue": _l("Reminder of an overdue approval"),
    "reply_received": _l("Notice of a reply to the lead's owner"),
    **APPOINTMENT_MAIL_KINDS,
}
MAIL_STATUS = {
    "queued": _l("Waiting to be sent"),
    "sent": _l("Handed to the mail server"),
    "parked": _l("Not delivered: waiting for a manual resend"),
}
# An email sent from the CRM is written to the outbox and logged as an activity in one request;
# the two are one event when they agree on lead and subject within this long.
SAME_EVENT = timedelta(minutes=5)


def _who(actors: set[str]) -> dict[str, str]:
    """Each actor of the audit trail by name: staff by their name, the rest by what they are."""
    ids = {int(a[5:]) for a in actors if a.startswith("user:") and a[5:].isdigit()}
    users = db.session.scalars(select(User).where(User.id.in_(ids))) if ids else []
    names = {f"user:{u.id}": u.name for u in users}
    names.update(system=gettext("The system"), public=gettext("A website visitor"))
    return names


def _person(user: User | None) -> str:
    return user.name if user else gettext("The system")


def _stages(
    lead_ids: list[int], audits: list[AuditEntry]
) -> tuple[list[Entry], dict[int, StageChange]]:
    """Stage moves from the history, each once: a move's audit entry is dropped for its twin in
    the history, and each creation is paired with its lead's first stage (by id of the entry)."""
    history = db.session.scalars(
        select(StageChange)
        .where(StageChange.lead_id.in_(lead_ids))
        .options(selectinload(StageChange.user), selectinload(StageChange.lost_reason))
        .order_by(StageChange.at, StageChange.id)
    ).all()
    firsts = [c for c in history if c.from_stage is None]
    moves = [c for c in history if c.from_stage is not None]
    lang, entries, told_moves = current_language(), [], set()
    for entry in [a for a in audits if a.action == "move" and a.entity_type == "Lead"]:
        stage = (entry.changes or {}).get("stage") or [None, None]
        twin = next(
            (
                c
                for c in moves
                if c.id not in told_moves
                and (c.from_stage, c.to_stage) == tuple(stage)
                and abs(c.at - entry.at) <= SAME_EVENT
            ),
            None,
        )
        if twin is not None:
            told_moves.add(twin.id)
            audits.remove(entry)
    for change in moves:
        who, old = _person(change.user), shown("stage", change.from_stage)
        new = shown("stage", change.to_stage)
        if change.to_stage == "lost":
            sentence = gettext("%(who)s marked the lead as lost (it was %(old)s)", who=who, old=old)
        else:
            sentence = gettext(
                "%(who)s moved the lead from %(old)s to %(new)s", who=who, old=old, new=new
            )
        lines = []
        if change.lost_reason:
            lines.append(gettext("Reason: %(reason)s", reason=change.lost_reason.label(lang)))
        if change.note:
            lines.append(change.note)
        entries.append(Entry(at=change.at, kind="stage", sentence=sentence, lines=lines, order=1))
    # Each lead (this one, and each merged into it) was created once, in its first stage.
    creations = sorted(
        (a for a in audits if a.action == "create" and a.entity_type == "Lead"),
        key=lambda a: a.at,
    )
    first_of = {entry.id: first for entry, first in zip(creations, firsts, strict=False)}
    for first in firsts[len(creations) :]:
        sentence = gettext(
            "The lead was created in stage %(stage)s", stage=shown("stage", first.to_stage)
        )
        entries.append(Entry(at=first.at, kind="stage", sentence=sentence, order=1))
    return entries, first_of


def _changes(lead: Lead, lead_ids: list[int]) -> list[Entry]:
    contacts = {
        c.id: c.name
        for c in db.session.execute(
            select(Contact.id, Contact.name).where(Contact.lead_id.in_(lead_ids))
        )
    }
    audits = db.session.scalars(
        select(AuditEntry)
        .where(
            or_(
                and_(AuditEntry.entity_type == "Lead", AuditEntry.entity_id.in_(lead_ids)),
                and_(AuditEntry.entity_type == "Contact", AuditEntry.entity_id.in_(contacts)),
            )
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    entries, first_of = _stages(lead_ids, audits)
    names = _who({a.actor for a in audits})
    for entry in audits:
        who = names.get(entry.actor, gettext("Someone no longer known"))
        first = first_of.get(entry.id)
        contact = contacts.get(entry.entity_id, "") if entry.entity_type == "Contact" else ""
        entries.append(told(entry, who, lead_id=lead.id, first=first, contact_name=contact))
    return entries


def _list_exports(lead_ids: list[int]) -> list[Entry]:
    """Downloads of the lead list that held this lead (privacy exports are audit entries)."""
    exports = db.session.scalars(
        select(Export)
        .join(export_lead, export_lead.c.export_id == Export.id)
        .where(export_lead.c.lead_id.in_(lead_ids))
        .options(selectinload(Export.user))
        .distinct()
    )
    return [
        Entry(
            at=export.at,
            kind="change",
            sentence=gettext(
                "%(who)s downloaded a lead list holding this lead (%(format)s, %(count)s rows)",
                who=_person(export.user),
                format=export.format.upper(),
                count=export.row_count,
            ),
            order=4,
        )
        for export in exports
    ]


def _touches(lead_ids: list[int], entries: list[Entry]) -> list[Entry]:
    """The lead met again (a fair's import merged into it): its first source stays. The import's
    own entry about the row is folded into the meeting."""
    touches = db.session.scalars(
        select(LeadTouch)
        .where(LeadTouch.lead_id.in_(lead_ids))
        .options(selectinload(LeadTouch.event))
    )
    met = []
    for touch in touches:
        lang = current_language()
        sentence = (
            gettext("Met again at %(event)s", event=touch.event.text("name", lang))
            if touch.event
            else gettext("Met again in an import")
        )
        lines = [gettext("The lead keeps its first source; this meeting is recorded beside it.")]
        row = next(
            (e for e in entries if e.touch_job is not None and e.touch_job == touch.import_job_id),
            None,
        )
        if row is not None:
            entries.remove(row)
            lines = row.lines + lines
        met.append(Entry(at=touch.at, kind="activity", sentence=sentence, lines=lines, order=2))
    return met


def _inquiries(lead: Lead) -> list[Entry]:
    entries = []
    for inquiry in lead.inquiries:
        sender = inquiry.contact.name if inquiry.contact else gettext("The investor")
        form = SOURCE_LABELS.get(inquiry.form, _l("Other source"))
        entries.append(
            Entry(
                at=inquiry.created_at,
                kind="mail",
                sentence=gettext("%(who)s sent an inquiry (%(form)s)", who=sender, form=form),
                preview=folded(inquiry.message),
                text=inquiry.message,
                facts=[gettext("Language: %(name)s", name=language_name(inquiry.language))],
                order=0,
            )
        )
    return entries


def _mail_sentence(email: OutboxEmail, author: User | None) -> str:
    if email.kind == "crm" and author is not None:
        return gettext(
            "%(who)s wrote to %(address)s", who=_person(author), address=email.to_address
        )
    if email.kind == "inquiry_confirmation":
        return gettext("Confirmation email to %(address)s", address=email.to_address)
    if email.kind == "inquiry_notification":
        return gettext("The bureau was told of the inquiry (%(address)s)", address=email.to_address)
    return gettext("Email to %(address)s", address=email.to_address)


def _mails_and_activities(lead_ids: list[int]) -> list[Entry]:
    """Emails of the outbox and logged activities; an email sent from the CRM is logged as both
    and told once, as the email with its author."""
    activities = db.session.scalars(
        select(Activity)
        .where(Activity.lead_id.in_(lead_ids))
        .options(selectinload(Activity.author))
        .order_by(Activity.occurred_at)
    ).all()
    emails = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.lead_id.in_(lead_ids))
        .options(selectinload(OutboxEmail.attachments))
        .order_by(OutboxEmail.id)
    ).all()
    # A visit's invitations and reminders to staff are the bureau talking to itself: the visit's
    # own entry tells it; only what went to the investor is a mail on their timeline.
    staff = {
        address.lower()
        for address in db.session.scalars(
            select(User.email).where(
                User.email.in_({e.to_address for e in emails if e.kind in APPOINTMENT_MAIL_KINDS})
            )
        )
    }
    entries, logged = [], {a.id: a for a in activities}
    for email in emails:
        if email.kind in APPOINTMENT_MAIL_KINDS and email.to_address.lower() in staff:
            continue
        twin = next(
            (
                a
                for a in logged.values()
                if a.kind == "email"
                and a.direction == "out"
                and a.subject == email.subject
                and abs(a.occurred_at - email.created_at) <= SAME_EVENT
            ),
            None,
        )
        if twin is not None:
            del logged[twin.id]
        facts = [
            gettext("Template: %(kind)s", kind=MAIL_KINDS.get(email.kind, _l("Other email"))),
            gettext("Language: %(name)s", name=language_name(email.language)),
            str(MAIL_STATUS.get(email.status, email.status)),
        ]
        if email.sent_at:
            facts[-1] = gettext("Sent %(at)s", at=datetime_text(email.sent_at, "short"))
        if email.attachments:
            names = ", ".join(kept.filename for kept in email.attachments)
            facts.append(gettext("Attachments: %(names)s", names=names))
        entries.append(
            Entry(
                at=email.created_at,
                kind="mail",
                sentence=_mail_sentence(email, twin.author if twin else None),
                subject=email.subject,
                preview=folded(email.body_text),
                text=email.body_text,
                facts=facts,
                order=3,
            )
        )
    for activity in logged.values():
        who = _person(activity.author)
        if activity.kind == "email":
            sentence = (
                gettext("%(who)s logged an email received: %(subject)s", who=who,
                        subject=activity.subject)
                if activity.direction == "in"
                else gettext("%(who)s logged an email sent: %(subject)s", who=who,
                             subject=activity.subject)
            )  # fmt: skip
        else:
            template = ACTIVITY_SENTENCES.get(activity.kind, _l("%(who)s logged: %(subject)s"))
            sentence = str(template) % {"who": who, "subject": activity.subject}
        lines = []
        if activity.kind == "task" and activity.done_at:
            lines.append(gettext("Done %(at)s", at=datetime_text(activity.done_at, "short")))
        entries.append(
            Entry(
                at=activity.occurred_at,
                kind="mail" if activity.kind == "email" else "activity",
                sentence=sentence,
                preview=folded(activity.body),
                text=activity.body,
                lines=lines,
                order=2,
            )
        )
    return entries


def _appointment_actors(lead_ids: list[int]) -> set[str]:
    appointments = select(Appointment.id).where(Appointment.lead_id.in_(lead_ids))
    return set(
        db.session.scalars(
            select(AuditEntry.actor).where(
                AuditEntry.entity_type == "Appointment", AuditEntry.entity_id.in_(appointments)
            )
        )
    )


def build(lead: Lead) -> list[Entry]:
    """Everything that happened to the lead (and to leads merged into it), newest first."""
    lead_ids = [lead.id, *db.session.scalars(select(Lead.id).where(Lead.merged_into_id == lead.id))]
    entries = _inquiries(lead) + _mails_and_activities(lead_ids) + received_mails(lead_ids)
    changed = _changes(lead, lead_ids)
    entries += _touches(lead_ids, changed) + changed + _list_exports(lead_ids)
    entries += appointment_entries(lead_ids, _who(_appointment_actors(lead_ids)))
    return sorted(entries, key=lambda e: (e.at, e.order), reverse=True)


def counts(entries: list[Entry]) -> dict[str, int]:
    return {kind: sum(1 for e in entries if e.kind == kind) for kind in KINDS}


def of_kind(entries: list[Entry], kind: str | None) -> list[Entry]:
    """The entries of one kind, or all when kind names none of KINDS."""
    return [e for e in entries if e.kind == kind] if kind in KINDS else entries
