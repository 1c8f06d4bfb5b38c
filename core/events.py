"""Loading content/data/events.yaml into the Event table, and the demo's staff and budget."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.audit import record
from core.content import get_content
from core.extensions import db
from core.models import Event, User

TRANSLATED = ("name", "city", "venue", "booth", "summary")
# The demo fair gets people and money so its results page has figures (demo only).
DEMO_EVENT = "eu-china-fair-2026"
DEMO_BUDGET = Decimal("380000.00")
DEMO_STAFF = ("officer@qingyuan-port.example", "officer2@qingyuan-port.example")
DEMO_OWNER = "officer@qingyuan-port.example"


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load_events(demo: bool = False) -> tuple[int, int]:
    """Create or refresh events by slug; staff, budget, notes and publishing set in the CRM stay.

    With demo=True, the EU-China fair gets the demo officers and a budget if it has neither.
    """
    created = updated = 0
    existing = {e.slug: e for e in db.session.scalars(select(Event))}
    for item in get_content()["events"]["events"]:
        event = existing.get(item["slug"])
        is_new = event is None
        if is_new:
            event = Event(slug=item["slug"], published=True, target_industries=[], notes="")
            db.session.add(event)
        before = {name: getattr(event, name) for name in (*TRANSLATED, "starts_on", "ends_on")}
        for name in TRANSLATED:
            setattr(event, name, dict(item.get(name) or {}))
        event.starts_on, event.ends_on = _as_date(item["start"]), _as_date(item["end"])
        changes = {
            name: [None if is_new else old, getattr(event, name)]
            for name, old in before.items()
            if is_new or old != getattr(event, name)
        }
        # Only while nobody has set them in the CRM: a second run never undoes their choices.
        if demo and event.slug == DEMO_EVENT and not event.staff and event.budget is None:
            staff = list(db.session.scalars(select(User).where(User.email.in_(DEMO_STAFF))))
            if staff:
                event.budget, event.staff = DEMO_BUDGET, staff
                event.owner = db.session.scalar(select(User).where(User.email == DEMO_OWNER))
                changes["budget"] = [None, DEMO_BUDGET]
                changes["staff"] = [[], sorted(u.id for u in staff if u.id)]
        if is_new:
            created += 1
            record("create", event, changes, actor="system")
        elif changes:
            updated += 1
            record("update", event, changes, actor="system")
    db.session.commit()
    return created, updated
