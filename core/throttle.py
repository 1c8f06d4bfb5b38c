"""Limits per key (an address, an account), shared by every worker through the limiter's storage;
counted in this process's memory while that storage (Redis) is unreachable.

A limit is written as Flask-Limiter's ("3 per 15 minutes"); with rate limits off, all pass.
"""

import logging
import math
import threading
import time

import limits
from flask import g
from limits.storage import MemoryStorage

from core.extensions import limiter

log = logging.getLogger(__name__)

# After a failure the shared storage is tried again this long after, not on every call: a dead
# Redis costs one connect timeout per interval and worker, not one per request.
RETRY_SECONDS = 30


class ResilientStorage:
    """The limiter's storage, or memory while it fails; the few calls our counters make."""

    def __init__(self):
        self.memory = MemoryStorage()
        self.down_until = 0.0
        self.lock = threading.Lock()

    def _call(self, name: str, *args, **kwargs):
        if time.monotonic() >= self.down_until:
            try:
                return getattr(limiter.storage, name)(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - any storage failure: count in memory
                with self.lock:
                    if time.monotonic() >= self.down_until:
                        log.warning(
                            "rate-limit storage unreachable (%s): counting in memory for %ss",
                            type(exc).__name__,
                            RETRY_SECONDS,
                        )
                    self.down_until = time.monotonic() + RETRY_SECONDS
        return getattr(self.memory, name)(*args, **kwargs)

    def get(self, key: str) -> int:
        return self._call("get", key)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._call("incr", key, expiry, amount=amount)

    def get_expiry(self, key: str) -> float:
        return self._call("get_expiry", key)

    def clear(self, key: str) -> None:
        return self._call("clear", key)

    def reset(self) -> None:
        self.memory.reset()
        self.down_until = 0.0


_storage = ResilientStorage()


def storage() -> ResilientStorage:
    """Where counters live: the shared storage, or memory while it is unreachable."""
    return _storage


def hit(limit: str, *key: str) -> bool:
    """Count one more under key (a fixed window, as the limiter's); False once used up."""
    if not limiter.enabled:
        return True
    item = limits.parse(limit)
    return _storage.incr(item.key_for(*key), item.get_expiry()) <= item.amount


def blocked_minutes(limit: str, *key: str) -> int:
    """0 while key may have one more, else the minutes until it may."""
    if not limiter.enabled:
        return 0
    item = limits.parse(limit)
    name = item.key_for(*key)
    if _storage.get(name) < item.amount:
        return 0
    return max(1, math.ceil((_storage.get_expiry(name) - time.time()) / 60))


def init_app(app) -> None:
    """Flask-Limiter, and Retry-After as our views set it.

    The limiter's headers hook writes a Retry-After on every response that passed a limit, the
    later of its window's end and the one the view set: a 429 whose wait is 2 seconds said 60,
    a 503 said an hour, and a 200 said some minutes. Kept: the view's own, or the limiter's on
    its own 429. Flask runs after_request hooks last-registered first, hence the order here.
    """

    @app.after_request
    def _retry_after_as_set(response):
        own = g.pop("retry_after", None)
        if own is not None:
            response.headers["Retry-After"] = own
        elif response.status_code != 429:
            response.headers.pop("Retry-After", None)
        return response

    limiter.init_app(app)

    @app.after_request
    def _remember_retry_after(response):
        if "Retry-After" in response.headers:
            g.retry_after = response.headers["Retry-After"]
        return response
