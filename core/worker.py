"""The worker process's app and queue, for `huey_consumer core.worker.huey -k process` (the same
consumer `flask --app wsgi worker` runs; huey_consumer schedules periodic tasks unless `-n`)."""

from core import create_app
from core.jobs import huey

app = create_app()

__all__ = ["app", "huey"]
