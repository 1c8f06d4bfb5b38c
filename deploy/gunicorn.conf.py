"""Gunicorn settings for production (qingyuan-web.service, .ci/production, deploy/smoke's test).

Each value can be changed in the environment file without editing this one (GUNICORN_*).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers, about two per core: threaded workers crashed (SIGSEGV in garbage collection, see
# bench/RESULTS.md), and the page cache serves public pages in under a millisecond anyway.
worker_class = "sync"
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
# A request longer than this is killed; IMPORT_PARSE_SECONDS (25) stays below it so the import
# reader gives up with a message first. A reload or stop lets running requests finish as long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Recycled now and then, so a slow leak in a C extension never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Not preloaded: a reload (SIGHUP) then starts workers on the release's new code.
preload_app = False
# systemd drives gunicorn with signals; no control socket in the service user's home.
control_socket_disable = True

# Logs go to the journal through stdout and stderr. The access line carries nginx's request id
# and the path without its query string (searches and tokens stay out of the logs), and no client
# address or browser: nginx's own log has those, for the time the county keeps it.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%({x-request-id}i)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms %(p)s'


def child_exit(server, worker):
    """A dead worker's metric files are merged away (prometheus_client multiprocess mode)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    try:
        from prometheus_client import multiprocess
    except ImportError:  # metrics not installed: nothing was written
        return
    multiprocess.mark_process_dead(worker.pid)
