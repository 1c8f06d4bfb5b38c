"""Visits and meetings on a lead's timeline: scheduled, moved or changed, cancelled, held with
its outcome, each told from its audit entry; and the labels of their mails."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select

from core.appointments import clock, ics
from core.extensions import db
from core.models import Appointment, AuditEntry
from crm.leads.timeline.entry import Entry, folded

MAIL_KINDS = {
    "appointment_invite": _l("Invitation to a visit or meeting"),
    "appointment_update": _l("Change of a visit or meeting"),
    "appointment_cancel": _l("Cancellation of a visit or meeting"),
    "appointment_remind": _l("Reminder of a visit or meeting"),
}


def _sentence(entry: AuditEntry, appointment: Appointment, who: str) -> str:
    values = {"who": who, "kind": ics.kind_word(appointment.kind), "title": appointment.title}
    if entry.action == "create":
        return gettext("%(who)s scheduled a %(kind)s: %(title)s", **values)
    if entry.action == "cancel":
        return gettext("%(who)s cancelled the %(kind)s: %(title)s", **values)
    if entry.action == "held":
        return gettext("%(who)s logged the outcome of the %(kind)s: %(title)s", **values)
    if "starts_at" in (entry.changes or {}):
        return gettext("%(who)s moved the %(kind)s: %(title)s", **values)
    return gettext("%(who)s changed the %(kind)s: %(title)s", **values)


def appointment_entries(lead_ids: list[int], names: dict[str, str]) -> list[Entry]:
    """names: each actor of the audit trail by name (the timeline's _who)."""
    appointments = {
        a.id: a
        for a in db.session.scalars(select(Appointment).where(Appointment.lead_id.in_(lead_ids)))
    }
    if not appointments:
        return []
    audits = db.session.scalars(
        select(AuditEntry)
        .where(
            and_(AuditEntry.entity_type == "Appointment", AuditEntry.entity_id.in_(appointments))
        )  # fmt: skip
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    entries = []
    for entry in audits:
        appointment = appointments[entry.entity_id]
        who = names.get(entry.actor, gettext("Someone no longer known"))
        lines, text = [], ""
        if entry.action in ("create", "update") and (
            entry.action == "create" or "starts_at" in (entry.changes or {})
        ):
            lines.append(gettext("When: %(when)s", when=clock.side_by_side(appointment)))
        if entry.action == "cancel" and (entry.changes or {}).get("reason"):
            text = entry.changes["reason"][1]
        if entry.action == "held":
            text = (entry.changes or {}).get("outcome", [None, ""])[1] or ""
        entries.append(
            Entry(
                at=entry.at, kind="activity", sentence=_sentence(entry, appointment, who),
                lines=lines, preview=folded(text), text=text, order=2,
            )
        )  # fmt: skip
    return entries
