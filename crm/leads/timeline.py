"""One timeline of a lead: inquiries, emails out and in, activities, touches, stage changes, edits,
exports, merges."""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.i18n import current_language
from core.models import (
    Activity,
    AuditEntry,
    Contact,
    Export,
    InboundMail,
    Lead,
    LeadTouch,
    OutboxEmail,
    StageChange,
    User,
    export_lead,
)
from core.stages import lead_stage_label

ACTION_TITLES = {
    "create": _l("Created"),
    "update": _l("Edited"),
    "assign": _l("Assigned"),
    "export": _l("Exported"),
    "merge": _l("Merged"),
    "anonymise": _l("Anonymised"),
    "credit": _l("Referral credit given"),
}
ACTIVITY_LABELS = {
    "call": _l("Call"),
    "meeting": _l("Meeting"),
    "site_visit": _l("Site visit"),
    "email": _l("Email"),
    "note": _l("Note"),
    "task": _l("Task"),
}


def activity_label(kind: str) -> str:
    return str(ACTIVITY_LABELS.get(kind, kind))


@dataclass
class Event:
    at: datetime
    kind: str  # inquiry | email | activity | stage | audit
    title: str
    who: str = ""
    body: str = ""
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    # Breaks ties between events of the same second: inquiries before what followed them.
    order: int = 0


def _names(actors: set[str]) -> dict[str, str]:
    ids = {int(a.split(":", 1)[1]) for a in actors if a.startswith("user:") and a[5:].isdigit()}
    users = db.session.scalars(select(User).where(User.id.in_(ids))) if ids else []
    names = {f"user:{u.id}": u.name for u in users}
    names.update(system=gettext("System"), public=gettext("Website visitor"))
    return names


def _audit_events(lead: Lead, lead_ids: list[int]) -> list[Event]:
    contact_ids = list(db.session.scalars(select(Contact.id).where(Contact.lead_id == lead.id)))
    entries = db.session.scalars(
        select(AuditEntry).where(
            or_(
                and_(AuditEntry.entity_type == "Lead", AuditEntry.entity_id.in_(lead_ids)),
                and_(AuditEntry.entity_type == "Contact", AuditEntry.entity_id.in_(contact_ids)),
            )
        )
    ).all()
    names = _names({e.actor for e in entries})
    events = []
    for entry in entries:
        title = str(ACTION_TITLES.get(entry.action, entry.action))
        undone = (entry.changes or {}).get("import_undone")
        if entry.action == "update" and undone:
            title = gettext("Import #%(id)s undone", id=undone[1])
        if entry.entity_type == "Contact":
            title = gettext("%(action)s: contact", action=title)
        elif entry.entity_id != lead.id:
            title = gettext("%(action)s: merged lead %(id)s", action=title, id=entry.entity_id)
        changes = [(key, *pair) for key, pair in sorted(entry.changes.items()) if len(pair) == 2]
        events.append(
            Event(
                at=entry.at,
                kind="export" if entry.action == "export" else "audit",
                title=title,
                who=names.get(entry.actor, entry.actor),
                changes=changes,
                order=4,
            )
        )
    return events


def _list_exports(lead_ids: list[int]) -> list[Event]:
    """Downloads of the lead list that held this lead (privacy exports are audit entries)."""
    exports = db.session.scalars(
        select(Export)
        .join(export_lead, export_lead.c.export_id == Export.id)
        .where(export_lead.c.lead_id.in_(lead_ids))
        .options(selectinload(Export.user))
        .distinct()
    )
    return [
        Event(
            at=export.at,
            kind="export",
            title=gettext(
                "Included in a lead list export (%(format)s, %(count)s rows)",
                format=export.format.upper(),
                count=export.row_count,
            ),
            who=export.user.name if export.user else "",
            order=4,
        )
        for export in exports
    ]


def _touches(lead_ids: list[int], lang: str) -> list[Event]:
    """The lead met again (a fair's import merged into it): its first source stays."""
    touches = db.session.scalars(
        select(LeadTouch)
        .where(LeadTouch.lead_id.in_(lead_ids))
        .options(selectinload(LeadTouch.event))
    )
    return [
        Event(
            at=touch.at,
            kind="touch",
            title=gettext("Met again at %(event)s", event=touch.event.text("name", lang))
            if touch.event
            else gettext("Met again in an import"),
            body=gettext("The lead keeps its first source; this meeting is recorded beside it."),
            order=2,
        )
        for touch in touches
    ]


def _received_mails(lead_ids: list[int]) -> list[Event]:
    """Mail the investor sent in (core/mail_in): replies, automatic replies, bounces."""
    titles = {
        "threaded": _l("Email from %(sender)s: %(subject)s"),
        "auto_reply": _l("Automatic reply from %(sender)s (not an answer): %(subject)s"),
        "bounce": _l("Mail could not be delivered: %(subject)s"),
    }
    mails = db.session.scalars(
        select(InboundMail).where(
            InboundMail.lead_id.in_(lead_ids), InboundMail.status.in_(list(titles))
        )
    )
    return [
        Event(
            at=mail.sent_at or mail.fetched_at,
            kind="mail_in",
            title=str(titles[mail.status])
            % {"sender": mail.from_name or mail.from_address, "subject": mail.subject or "—"},
            who=mail.from_address,
            body=_with_left_out(mail),
            order=3,
        )
        for mail in mails
    ]


def _with_left_out(mail: InboundMail) -> str:
    if not mail.left_out:
        return mail.body_text
    note = gettext("Attachments not kept (type or size): %(names)s", names=mail.left_out)
    return f"{mail.body_text}\n\n[{note}]".strip()


def build(lead: Lead) -> list[Event]:
    """Everything that happened to the lead (and to leads merged into it), newest first."""
    lead_ids = [lead.id, *db.session.scalars(select(Lead.id).where(Lead.merged_into_id == lead.id))]
    lang = current_language()
    events: list[Event] = []
    for inquiry in lead.inquiries:
        events.append(
            Event(
                at=inquiry.created_at,
                kind="inquiry",
                title=gettext("Inquiry received (%(form)s)", form=inquiry.form),
                who=inquiry.contact.name if inquiry.contact else "",
                body=inquiry.message,
                order=0,
            )
        )
    for email in db.session.scalars(select(OutboxEmail).where(OutboxEmail.lead_id == lead.id)):
        events.append(
            Event(
                at=email.created_at,
                kind="email",
                title=gettext(
                    "Email to %(address)s: %(subject)s",
                    address=email.to_address,
                    subject=email.subject,
                ),
                body=email.body_text,
                changes=[("status", None, email.status)],
                order=3,
            )
        )
    activities = db.session.scalars(
        select(Activity).where(Activity.lead_id == lead.id).options(selectinload(Activity.author))
    )
    for activity in activities:
        events.append(
            Event(
                at=activity.occurred_at,
                kind="activity",
                title=f"{activity_label(activity.kind)}: {activity.subject}",
                who=activity.author.name if activity.author else "",
                body=activity.body,
                order=2,
            )
        )
    changes = db.session.scalars(
        select(StageChange)
        .where(StageChange.lead_id == lead.id)
        .options(selectinload(StageChange.user), selectinload(StageChange.lost_reason))
    )
    for change in changes:
        title = (
            gettext(
                "Stage: %(old)s → %(new)s",
                old=lead_stage_label(change.from_stage),
                new=lead_stage_label(change.to_stage),
            )
            if change.from_stage
            else gettext("Lead created in stage %(new)s", new=lead_stage_label(change.to_stage))
        )
        reason = change.lost_reason.label(lang) if change.lost_reason else ""
        body = " — ".join(part for part in (reason, change.note) if part)
        events.append(
            Event(
                at=change.at,
                kind="stage",
                title=title,
                who=change.user.name if change.user else "",
                body=body,
                order=1,
            )
        )
    events += _touches(lead_ids, lang)
    events += _received_mails(lead_ids)
    events += _audit_events(lead, lead_ids)
    events += _list_exports(lead_ids)
    return sorted(events, key=lambda e: (e.at, e.order), reverse=True)
