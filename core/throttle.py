"""Limits per key (an address, an account), shared by every worker through the limiter's storage."""

import limits

from core.extensions import limiter


def hit(limit: str, *key: str) -> bool:
    """Count one more under key; False once limit ("3 per day") is used up. Limits off: True."""
    if not limiter.enabled:
        return True
    return limiter.limiter.hit(limits.parse(limit), *key)
