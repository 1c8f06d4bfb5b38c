"""The audit trail: one entry per successful change to a record."""

from decimal import Decimal

from flask import g, has_request_context

from core.extensions import db
from core.models import AuditEntry


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def current_actor() -> str:
    if has_request_context():
        return g.get("actor", "public")
    return "system"


def record(action: str, obj, changes: dict | None = None, actor: str | None = None) -> AuditEntry:
    """Add an audit entry for obj in the current transaction (flushes to get its id)."""
    if obj.id is None:
        db.session.flush()
    entry = AuditEntry(
        actor=actor or current_actor(),
        action=action,
        entity_type=type(obj).__name__,
        entity_id=obj.id,
        changes={k: [_plain(v) for v in pair] for k, pair in (changes or {}).items()},
    )
    db.session.add(entry)
    return entry
