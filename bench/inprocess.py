"""What the in-process benches share: the app on the bench database, progress lines, timings."""

import statistics
import sys
import time
from collections.abc import Callable


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_app(url: str, name: str):
    """The app on the bench database, CSRF off (requests come from the test client)."""
    from core import create_app
    from core.config import database_url

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(url),
            "SECRET_KEY": f"bench-{name}-" + "x" * 32,
            "WTF_CSRF_ENABLED": False,
        }
    )


def timed(call: Callable[[], object], warmup: int, requests: int) -> tuple[float, float]:
    """p50 and p99 in milliseconds of `requests` calls after `warmup` unmeasured ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]
