"""Limits per key (an address, an account), shared by every worker through the limiter's storage.

A limit is written as Flask-Limiter's ("3 per 15 minutes"); with rate limits off, all pass.
"""

import math
import time

import limits

from core.extensions import limiter


def hit(limit: str, *key: str) -> bool:
    """Count one more under key; False once the limit is used up."""
    if not limiter.enabled:
        return True
    return limiter.limiter.hit(limits.parse(limit), *key)


def blocked_minutes(limit: str, *key: str) -> int:
    """0 while key may have one more, else the minutes until it may."""
    if not limiter.enabled:
        return 0
    item = limits.parse(limit)
    if limiter.limiter.test(item, *key):
        return 0
    reset = limiter.limiter.get_window_stats(item, *key).reset_time
    return max(1, math.ceil((reset - time.time()) / 60))
