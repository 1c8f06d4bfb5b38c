"""A lead's visits and meetings in a person's data export, and written out when it is anonymised
(titles, places, agendas and outcomes name people; the rows, times and statuses stay)."""

from sqlalchemy import select, update

from core.extensions import db
from core.models import Appointment

FIELDS = ("id", "kind", "title", "starts_at", "minutes", "timezone", "place", "agenda",
          "status", "outcome")  # fmt: skip
ANONYMISED = "(anonymised)"


def appointment_rows(lead_ids: list[int]) -> list[dict]:
    appointments = db.session.scalars(
        select(Appointment).where(Appointment.lead_id.in_(lead_ids)).order_by(Appointment.id)
    )
    return [
        {
            name: (value.isoformat() if hasattr(value, "isoformat") else value)
            for name in FIELDS
            for value in [getattr(a, name)]
        }  # fmt: skip
        for a in appointments
    ]


def forget_appointments(lead_ids: list[int]) -> list[int]:
    """Blank what names people; returns the appointments' ids (their audit entries are scrubbed)."""
    ids = list(db.session.scalars(select(Appointment.id).where(Appointment.lead_id.in_(lead_ids))))
    if ids:
        db.session.execute(
            update(Appointment)
            .where(Appointment.id.in_(ids))
            .values(title=ANONYMISED, place="", agenda="", outcome="")
            .execution_options(synchronize_session="fetch")
        )
    return ids
