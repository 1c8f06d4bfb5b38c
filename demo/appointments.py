"""Demo visits and meetings: the Europe desk officer's week holds a site visit of a German firm
and a video meeting with a French one (no invitations are mailed for demo data)."""

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from core import appointments
from core.extensions import db
from core.models import Appointment, Lead, User
from core.workdays import CHINA

# (company, kind, title, days ahead, Beijing hour, minutes, investor's zone, place, agenda)
DEMO_APPOINTMENTS = (
    ("Müller Präzisionstechnik GmbH", "site_visit", "Plot A-03 and the test hall", 2, 15, 150,
     "Europe/Berlin", "Park service centre, 1 Qingyuan Road",
     "1. Plot A-03 on site\n2. Test hall of the incubator\n3. Dinner with the county"),
    ("Dubois Emballage SARL", "meeting", "Video call: incentives for packaging lines", 0, 16, 60,
     "Europe/Paris", "Video call", "Incentive estimate; timetable of the first phase"),
)  # fmt: skip


def load_demo_appointments() -> int:
    """Safe to run again: nothing is added once a visit or meeting exists."""
    if db.session.scalar(select(func.count()).select_from(Appointment)):
        return 0
    today = datetime.now(CHINA).date()
    created = 0
    for company, kind, title, days, hour, minutes, zone, place, agenda in DEMO_APPOINTMENTS:
        lead = db.session.scalar(select(Lead).where(Lead.company_name == company))
        owner = db.session.get(User, lead.owner_id) if lead and lead.owner_id else None
        if owner is None:
            continue
        starts = datetime.combine(today + timedelta(days=days), time(hour), tzinfo=CHINA)
        if starts <= datetime.now(CHINA) + timedelta(hours=1):  # late in the day: tomorrow's
            starts += timedelta(days=1)
        staff = [u for u in (lead.owner_id, lead.liaison_id) if u]
        appointments.schedule(
            lead, owner, user_ids=staff, contact_ids=[c.id for c in lead.contacts[:1]],
            kind=kind, title=title, starts_at=starts, minutes=minutes, timezone=zone,
            place=place, agenda=agenda,
        )  # fmt: skip
        created += 1
    db.session.commit()
    return created
