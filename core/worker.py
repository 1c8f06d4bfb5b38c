"""The worker process's app and queue, for `huey_consumer core.worker.huey` (the same consumer
`flask --app wsgi worker` runs)."""

from core import create_app
from core.jobs import huey

app = create_app()

__all__ = ["app", "huey"]
