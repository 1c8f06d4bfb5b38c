"""The demo fair gets people and money, so its results page has figures. Never in production."""

from decimal import Decimal

from sqlalchemy import select

from core.audit import record
from core.extensions import db
from core.models import Event, User

DEMO_EVENT = "eu-china-fair-2026"
DEMO_BUDGET = Decimal("380000.00")
DEMO_STAFF = ("officer@qingyuan-port.example", "officer2@qingyuan-port.example")
DEMO_OWNER = "officer@qingyuan-port.example"


def staff_demo_fair() -> bool:
    """Give the EU-China fair (loaded from content) the demo officers and a budget; True if done.

    Only while nobody has set them in the CRM: a second run never undoes the bureau's choices,
    and without the demo accounts nothing is assigned or invented.
    """
    event = db.session.scalar(select(Event).where(Event.slug == DEMO_EVENT))
    if event is None or event.staff or event.budget is not None:
        return False
    staff = list(db.session.scalars(select(User).where(User.email.in_(DEMO_STAFF))))
    if not staff:
        return False
    event.budget, event.staff = DEMO_BUDGET, staff
    event.owner = db.session.scalar(select(User).where(User.email == DEMO_OWNER))
    changes = {"budget": [None, DEMO_BUDGET], "staff": [[], sorted(u.id for u in staff)]}
    record("update", event, changes, actor="system")
    db.session.commit()
    return True
