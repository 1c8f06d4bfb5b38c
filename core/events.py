"""Loading content/data/events.yaml into the Event table."""

from datetime import date

from sqlalchemy import select

from core.audit import record
from core.content import get_content
from core.extensions import db
from core.models import Event

TRANSLATED = ("name", "city", "venue", "booth", "summary")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load_events() -> tuple[int, int]:
    """Create or refresh events by slug; staff, budget, notes and publishing set in the CRM stay."""
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
        if is_new:
            created += 1
            record("create", event, changes, actor="system")
        elif changes:
            updated += 1
            record("update", event, changes, actor="system")
    db.session.commit()
    return created, updated
