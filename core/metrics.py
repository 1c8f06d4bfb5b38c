"""Prometheus metrics at /metrics, for a bearer token or an allowed address (else 404): requests,
latency, inquiries, the page cache, and what modules register to compute at scrape time.

Under gunicorn each worker counts for itself; with PROMETHEUS_MULTIPROC_DIR set (before start,
to an empty directory the service cleans at every start) the counts go to files there and a
scrape adds up every worker's (prometheus_client's multiprocess mode).
"""

import hmac
import ipaddress
import logging
import os
from collections.abc import Callable, Iterable

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from core.extensions import db
from core.jobs import queue_stats
from core.models import OutboxEmail
from core.models.base import utcnow

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "qingyuan_http_requests",
    "Answers given, by endpoint, method and status",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "qingyuan_http_request_duration_seconds",
    "Time from request to the answer's last byte, by endpoint",
    ["endpoint"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
INQUIRIES = Counter("qingyuan_inquiries_received", "Inquiries stored from the public forms")
PAGE_CACHE = Counter(
    "qingyuan_page_cache_lookups", "Public pages looked up in the page cache", ["result"]
)

# Functions returning metric families, called at each scrape (in an app context): the outbox
# below, the job queue's depth and failures from the job-queue module.
ScrapeCollector = Callable[[], Iterable[Metric]]
_collectors: list[ScrapeCollector] = []


def scrape_collector(function: ScrapeCollector) -> ScrapeCollector:
    """Register function to be called at every scrape (a decorator); registering twice is once."""
    if function not in _collectors:
        _collectors.append(function)
    return function


class _AtScrape(Collector):
    def collect(self):
        for function in list(_collectors):
            try:
                yield from function()
            except Exception:  # one failing source never hides the others
                log.exception("metrics collector %s failed", function.__name__)


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(endpoint, method, str(status)).inc()
    LATENCY.labels(endpoint).observe(seconds)


@scrape_collector
def outbox_metrics() -> Iterable[Metric]:
    counts = dict(
        db.session.execute(
            select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)
        ).all()
    )
    backlog = GaugeMetricFamily(
        "qingyuan_outbox_emails", "Emails in the outbox by status", labels=["status"]
    )
    for status in ("queued", "parked"):
        backlog.add_metric([status], counts.get(status, 0))
    yield backlog
    oldest = db.session.scalar(
        select(func.min(OutboxEmail.created_at)).where(OutboxEmail.status == "queued")
    )
    age = (utcnow() - oldest).total_seconds() if oldest else 0
    yield GaugeMetricFamily(
        "qingyuan_outbox_oldest_queued_seconds", "Age of the oldest queued email", value=age
    )


@scrape_collector
def queue_metrics() -> Iterable[Metric]:
    stats = queue_stats()
    waiting = GaugeMetricFamily(
        "qingyuan_jobs_waiting", "Tasks waiting in the job queue", labels=["kind"]
    )
    for kind in ("pending", "scheduled"):
        if stats[kind] is not None:  # the queue unreachable: no figure rather than a false 0
            waiting.add_metric([kind], stats[kind])
    yield waiting
    jobs = GaugeMetricFamily(
        "qingyuan_jobs", "Imports and periodic runs by state", labels=["state"]
    )
    for state in ("failed_runs", "failed_imports", "running_imports"):
        jobs.add_metric([state], stats[state])
    yield jobs


def _allowed() -> bool:
    config = current_app.config
    token = config["METRICS_TOKEN"]
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer "):
        return hmac.compare_digest(sent.removeprefix("Bearer ").encode(), token.encode())
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in config["METRICS_ALLOW"])


bp = Blueprint("metrics", __name__)


@bp.route("/metrics")
def metrics():
    # Not found rather than forbidden: nothing tells a stranger there is something here.
    if not _allowed():
        abort(404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    at_scrape = CollectorRegistry()
    at_scrape.register(_AtScrape())
    body = generate_latest(counted) + generate_latest(at_scrape)
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def init_app(app) -> None:
    app.register_blueprint(bp)
