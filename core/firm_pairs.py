"""What staff said are different firms: kept per pair of company keys, not proposed again."""

from sqlalchemy import select

from core.audit import record
from core.extensions import db
from core.models import FirmPair


def _ordered(key_a: str, key_b: str, lead_ids=(None, None)):
    if key_b < key_a:
        return key_b, key_a, (lead_ids[1], lead_ids[0])
    return key_a, key_b, tuple(lead_ids)


def remember_different(key_a: str, key_b: str, *, user=None, lead_ids=(None, None)) -> None:
    """Keep that the firms of key_a and key_b differ (keys: core.matching.normalise_company);
    the caller commits. Saying it twice, or of one key with itself, changes nothing."""
    if not key_a or not key_b or key_a == key_b or known_different(key_a, key_b):
        return
    first, second, (lead_a, lead_b) = _ordered(key_a[:200], key_b[:200], lead_ids)
    pair = FirmPair(
        key_a=first,
        key_b=second,
        lead_a_id=lead_a,
        lead_b_id=lead_b,
        created_by_id=user.id if user is not None else None,
    )
    db.session.add(pair)
    actor = f"user:{user.id}" if user is not None else None
    record("create", pair, {"key_a": [None, first], "key_b": [None, second]}, actor=actor)


def known_different(key_a: str, key_b: str) -> bool:
    """Whether a person said the firms of these two company keys are different."""
    first, second, _ = _ordered(key_a[:200], key_b[:200])
    return (
        db.session.scalar(
            select(FirmPair.id).where(FirmPair.key_a == first, FirmPair.key_b == second)
        )
        is not None
    )


def all_known_different():
    """known_different for many lookups (an import, a new lead's candidates): every pair read
    once into memory; None when there is none, so the matcher need not work out keys."""
    pairs = {(a, b) for a, b in db.session.execute(select(FirmPair.key_a, FirmPair.key_b))}
    if not pairs:
        return None
    return lambda key_a, key_b: _ordered(key_a[:200], key_b[:200])[:2] in pairs
