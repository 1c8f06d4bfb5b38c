"""The job queue: one Huey instance whose storage the config chooses (Redis in production, SQLite
in development, immediate in tests), tasks that run in an app context of their own, a small
shared store for what running tasks report, and queue_stats() for the CRM and metrics."""

import functools
import logging
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

# utc=True: the scheduler hands periodic tasks UTC times whatever the server's TZ; core/periodic.py
# turns them into Beijing time itself. Until init_app chooses, tasks run at once in memory.
huey = Huey("qingyuan", utc=True, immediate=True)
_bound: dict[str, Flask] = {}


def init_app(app: Flask) -> None:
    """Point the queue at the storage app.config chooses; tasks run in this app (the worker's)."""
    cfg = app.config
    if cfg["HUEY_STORAGE"] == "redis":
        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"url": cfg["REDIS_URL"] or "redis://127.0.0.1:6379/0"}
    elif cfg["HUEY_STORAGE"] == "sqlite":
        Path(cfg["HUEY_SQLITE_PATH"]).parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": cfg["HUEY_SQLITE_PATH"]}
    else:
        raise RuntimeError(f"HUEY_STORAGE must be redis or sqlite, not {cfg['HUEY_STORAGE']!r}")
    # Immediate mode keeps its tasks in memory; the storage above is made once it is left.
    huey._immediate = bool(cfg["HUEY_IMMEDIATE"])
    huey.storage = huey.create_storage()
    _bound["app"] = app
    app.cli.add_command(worker)


@huey.on_startup()
def _own_connections() -> None:
    """A process worker is forked from the consumer: connections made before the fork are the
    parent's (two processes on one socket corrupt it), so each worker opens its own."""
    from core.extensions import db

    with app_context():
        db.engine.dispose(close=False)


@click.command("worker")
@click.option("--workers", "-w", default=2, show_default=True, help="Tasks run at once.")
@click.option(
    "--worker-type",
    "-k",
    type=click.Choice(["process", "thread"]),
    default="process",
    show_default=True,
    help="Process workers share no interpreter state (no gthread-style crashes).",
)
@click.option(
    "--periodic/--no-periodic",
    default=False,
    show_default=True,
    help="Also schedule the periodic jobs: on exactly one consumer (the scheduler).",
)
def worker(workers: int, worker_type: str, periodic: bool) -> None:
    """Run the job queue's consumer: mail, imports, periodic jobs. SIGINT stops it once running
    tasks finish, SIGTERM at once, SIGHUP restarts it gracefully."""
    if huey.immediate:
        raise click.ClickException("HUEY_IMMEDIATE is set: tasks run where they are enqueued")
    if not logging.getLogger().handlers:  # say what it runs and what failed, on stderr
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
    # An idle worker looks again within a second (Redis blocks on the queue anyway; SQLite polls).
    consumer = huey.create_consumer(
        workers=workers, worker_type=worker_type, periodic=periodic, max_delay=1.0
    )
    consumer.run()


@contextmanager
def app_context():
    """A fresh app context (so a session of its own) of the current app, or of the worker's."""
    app = current_app._get_current_object() if has_app_context() else _bound["app"]
    with app.app_context():
        yield app


def task(**options):
    """A Huey task run in its own app context: it commits its own work (never the caller's)."""

    def decorate(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            with app_context():
                return fn(*args, **kwargs)

        return huey.task(name=fn.__name__, **options)(run)

    return decorate


def enqueue(task_wrapper, *args) -> bool:
    """Hand a task to the worker; False (logged) when the queue cannot be reached, for callers
    whose work a periodic job picks up anyway."""
    try:
        task_wrapper(*args)
    except Exception:  # Redis down must not turn a saved change into an error page
        log.exception("could not enqueue %s%r", task_wrapper.name, args)
        return False
    return True


# What running tasks report (an import's rows done, its heartbeat), in the queue's own storage:
# every web worker and server reads the same Redis, and it is not the database the task holds a
# transaction open in (a second SQLite writer, or an update of the row, would wait on it).
def report(key: str, value) -> None:
    huey.put(key, value)


def reported(key: str, default=None):
    value = huey.get(key, peek=True)
    return default if value is None else value


def forget(key: str) -> None:
    huey.get(key)  # reading without peek removes it


def queue_stats() -> dict:
    """Tasks waiting (pending; scheduled: retries and delayed tasks), periodic runs that failed
    (kept core.periodic.KEEP_DAYS days), imports failed and running; pending and scheduled are
    None while the queue is unreachable. For the CRM's jobs page and the metrics."""
    from sqlalchemy import func, select

    from core.extensions import db
    from core.models import ImportJob, JobRun

    try:
        pending, scheduled = huey.pending_count(), huey.scheduled_count()
    except Exception:  # the page and the metrics still answer while Redis is down
        log.exception("job queue unreachable")
        pending = scheduled = None
    return {
        "pending": pending,
        "scheduled": scheduled,
        "failed_runs": db.session.scalar(
            select(func.count()).select_from(JobRun).where(JobRun.status == "failed")
        ),
        "failed_imports": db.session.scalar(
            select(func.count()).select_from(ImportJob).where(ImportJob.status == "failed")
        ),
        "running_imports": db.session.scalar(
            select(func.count()).select_from(ImportJob).where(ImportJob.status == "running")
        ),
    }
