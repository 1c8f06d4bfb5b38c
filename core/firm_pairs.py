"""Pairs of firms a person said are different, so that no matcher proposes them as one again."""

from sqlalchemy import select

from core.audit import record
from core.extensions import db
from core.models import FirmDistinction, User


def _ordered(key_a: str, key_b: str) -> tuple[str, str]:
    return (key_a, key_b) if key_a <= key_b else (key_b, key_a)


def remember_different(
    key_a: str, key_b: str, *, user: User | None = None, lead_ids=(None, None)
) -> None:
    """Keep that the firms of these two company keys are different (once; the caller commits).

    Keys are the normalised company keys of core.matching (Lead.company_key); lead_ids are the
    leads the decision was taken on, in the order of the keys."""
    key_a, key_b = (key_a or "")[:200], (key_b or "")[:200]
    if not key_a or not key_b or key_a == key_b or known_different(key_a, key_b):
        return
    leads = dict(zip((key_a, key_b), lead_ids, strict=True))
    first, second = _ordered(key_a, key_b)
    pair = FirmDistinction(
        key_a=first,
        key_b=second,
        lead_a_id=leads[first],
        lead_b_id=leads[second],
        user_id=user.id if user is not None else None,
    )
    db.session.add(pair)
    record("create", pair, {"key_a": [None, first], "key_b": [None, second]})


def known_different(key_a: str, key_b: str) -> bool:
    """Whether a person said the firms of these two company keys are different."""
    if not key_a or not key_b or key_a == key_b:
        return False
    first, second = _ordered(key_a, key_b)
    found = db.session.scalar(
        select(FirmDistinction.id).where(
            FirmDistinction.key_a == first, FirmDistinction.key_b == second
        )
    )
    return found is not None


def all_known_different():
    """known_different for many lookups (an import): every pair read once into memory; None
    when there is none, so that the matcher need not work out keys to look up."""
    pairs = {
        (a, b) for a, b in db.session.execute(select(FirmDistinction.key_a, FirmDistinction.key_b))
    }
    return (lambda key_a, key_b: _ordered(key_a, key_b) in pairs) if pairs else None
