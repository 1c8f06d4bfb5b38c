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


def signed_in_client(app, user_id: int = 1):
    """A test client signed in as the user, as the login view would leave the session."""
    from core.extensions import db
    from core.models import User
    from crm.auth.signin import stamp_session

    client = app.test_client()
    with app.app_context():
        user = db.session.get(User, user_id)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            stamp_session(session)
    return client
