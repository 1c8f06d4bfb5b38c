"""The day-before reminder of a visit or meeting to the lead's owner and its liaison leader
(the periodic job remind-appointments, core/periodic.py)."""

from datetime import datetime, time, timedelta

from sqlalchemy import select

from core.appointments import invitations
from core.extensions import db
from core.models import Appointment, Lead
from core.models.base import utcnow
from core.workdays import CHINA


def due(now: datetime) -> list[Appointment]:
    """Scheduled appointments from now to the end of tomorrow in Beijing not reminded of yet: a
    missed run (a server down overnight) still reminds before the day, never after it."""
    tomorrow = now.astimezone(CHINA).date() + timedelta(days=1)
    end = datetime.combine(tomorrow + timedelta(days=1), time.min, tzinfo=CHINA)
    return db.session.scalars(
        select(Appointment)
        .join(Lead, Appointment.lead_id == Lead.id)
        .where(
            Appointment.status == "scheduled",
            Appointment.reminded_at.is_(None),
            Appointment.starts_at > now,
            Appointment.starts_at < end,
            Lead.anonymised_at.is_(None),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()


def send_reminders(now: datetime | None = None) -> list[str]:
    """Queue the reminders and mark each appointment reminded; the caller commits."""
    now = now or utcnow()
    lines = []
    for appointment in due(now):
        lead = appointment.lead
        people = {u.id: u for u in (lead.owner, lead.liaison) if u is not None}
        mails = invitations.remind(appointment, list(people.values()))
        appointment.reminded_at = now
        day = appointment.starts_at.astimezone(CHINA)
        lines.append(f"appointment {appointment.id} on {day:%Y-%m-%d %H:%M}: {len(mails)} mail(s)")
    count = len(lines)
    lines.append(f"reminded: {count} appointment(s); `send-outbox` delivers the emails")
    return lines
