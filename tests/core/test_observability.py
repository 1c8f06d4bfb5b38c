"""Watching it run: JSON log lines with request ids, security events without personal data,
/healthz and /readyz, /metrics behind a token or an allowed address."""

import io
import json
import logging

import pytest
from sqlalchemy import text

from core import logs
from core.extensions import db
from core.health import _heads
from public_site import page_cache
from tests.factories import make_user
from tests.forms import open_form, send, sign_in

NGINX_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def json_lines(app):
    """What the production handler writes during the test, parsed."""
    stream = io.StringIO()
    handler = logs.make_handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def access(lines) -> list[dict]:
    return [line for line in lines if line["logger"] == "qingyuan.access"]


def test_a_request_id_from_nginx_is_kept_and_echoed(client, json_lines):
    response = client.get("/en/land", headers={"X-Request-ID": NGINX_ID})
    assert response.headers["X-Request-ID"] == NGINX_ID
    [line] = access(json_lines())
    assert line["request_id"] == NGINX_ID
    assert line["endpoint"] == "site.land" and line["method"] == "GET" and line["status"] == 200
    assert line["duration_ms"] >= 0 and line["level"] == "INFO" and line["ts"].endswith("+00:00")


def test_an_insane_request_id_is_replaced(client):
    for sent in ("x", "a b c d e f g h", "<script>alert(1)</script>", "9" * 200):
        answered = client.get("/healthz", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
        assert answered != sent and len(answered) == 32


@pytest.fixture
def cache_on(app, monkeypatch):
    """The page cache on and empty, and left as it was (as tests/site's `cached`)."""
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 60)
    monkeypatch.setitem(app.extensions, "page_cache", page_cache.LRU(page_cache.MAX_PAGES))


def test_one_access_line_per_request_cached_pages_included(app, json_lines, cache_on):
    client = app.test_client(use_cookies=False)
    client.get("/en/policies")
    client.get("/en/policies")  # from the page cache, which answers before Flask
    lines = access(json_lines())
    assert [line["endpoint"] for line in lines] == ["site.policies", "page_cache"]
    assert lines[0]["request_id"] != lines[1]["request_id"]


def test_no_route_and_an_invented_method_are_labelled_as_such(client, json_lines):
    client.get("/no/such/thing")
    client.open("/en/land", method="BREW")
    lines = access(json_lines())
    assert [(line["endpoint"], line["method"]) for line in lines] == [
        ("none", "GET"),
        ("none", "other"),  # 405: routing found no view for it
    ]


def test_lines_within_a_request_carry_its_id_and_user(app, json_lines):
    with app.app_context():
        officer = make_user("officer", "li@bureau.example")
        db.session.commit()
        officer_id = officer.id
    client = app.test_client()
    sign_in(client, "li@bureau.example", "wrong password!")
    sign_in(client, "li@bureau.example")
    client.get("/crm/admin/users", headers={"X-Request-ID": NGINX_ID})  # an officer may not
    lines = json_lines()
    security = [line for line in lines if line["logger"] == "qingyuan.security"]
    assert [line["event"] for line in security] == ["signin_failed", "signin", "permission_refused"]
    assert all(line["ip"] == "127.0.0.1" for line in security)
    refused = security[-1]
    assert refused["request_id"] == NGINX_ID and refused["user"] == f"user:{officer_id}"
    [admin_line] = [line for line in access(lines) if line["endpoint"] == "crm.admin.admin_users"]
    assert admin_line["status"] == 403 and admin_line["user"] == f"user:{officer_id}"
    everything = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert "li@bureau.example" not in everything


def test_no_personal_data_from_an_inquiry_in_any_line(client, json_lines):
    response = send(client, open_form(client), name="Zhang San 张三", email="zhang@example.cn")
    assert response.status_code == 303
    everything = "\n".join(json.dumps(line, ensure_ascii=False) for line in json_lines())
    for personal in ("张三", "Zhang", "zhang@example.cn", "pressure sensors"):
        assert personal not in everything


def test_probes_are_logged_at_debug_only(client, json_lines):
    client.get("/healthz")
    assert access(json_lines()) == []


def test_text_format_for_development():
    stream = io.StringIO()
    handler = logs.make_handler("text", stream)
    handler.handle(logging.makeLogRecord({"msg": "hello", "levelname": "INFO", "name": "x"}))
    assert "INFO x [-] hello" in stream.getvalue()


# -- health ----------------------------------------------------------------------------------


def test_healthz_answers_without_the_database(app, client, monkeypatch):
    def no_database(*args, **kwargs):
        raise AssertionError("healthz must not touch the database")

    monkeypatch.setattr(db.session, "execute", no_database)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok\n"
    assert response.headers["Cache-Control"] == "no-store"


def stamp_head(app) -> None:
    with app.app_context():
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        for head in _heads():
            db.session.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
        db.session.commit()


@pytest.fixture
def stamped(app):
    stamp_head(app)
    yield
    with app.app_context():
        db.session.execute(text("DROP TABLE alembic_version"))
        db.session.commit()


def test_readyz_ok_when_database_and_migrations_are(app, client, stamped):
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = {"database": "ok", "queue": "ok", "migrations": "ok"}
    assert response.json == {"status": "ok", "checks": checks}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_fails_on_old_migrations_and_dead_redis(app, client, stamped):
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = 'old'"))
        db.session.commit()
    app.config["REDIS_URL"] = "redis://127.0.0.1:5649/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {
        "database": "ok",
        "redis": "failed",
        "queue": "ok",  # tests run tasks where they are enqueued
        "migrations": "failed",
    }
    assert "Connection" not in response.text  # names only, never the reason


def test_readyz_with_a_live_redis(app, client, stamped):
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/11"
    assert client.get("/readyz").json["checks"]["redis"] == "ok"


def test_readyz_fails_when_the_job_queue_is_unreachable(app, client, stamped, monkeypatch):
    from huey.storage import RedisStorage

    from core.jobs import huey

    monkeypatch.setattr(huey, "_immediate", False)
    dead = RedisStorage("qingyuan", url="redis://127.0.0.1:5649/0?socket_connect_timeout=1")
    monkeypatch.setattr(huey, "storage", dead)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["queue"] == "failed"


# -- metrics ---------------------------------------------------------------------------------


def test_metrics_only_for_allowed_addresses_or_the_token(app, client):
    stranger = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=stranger).status_code == 404
    app.config["METRICS_TOKEN"] = "t" * 32
    assert client.get("/metrics", environ_base=stranger).status_code == 404
    wrong = {"Authorization": "Bearer " + "x" * 32}
    assert client.get("/metrics", environ_base=stranger, headers=wrong).status_code == 404
    right = {"Authorization": "Bearer " + "t" * 32}
    assert client.get("/metrics", environ_base=stranger, headers=right).status_code == 200
    app.config["METRICS_ALLOW"] = ["10.0.0.0/8"]
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics").status_code == 404  # 127.0.0.1 no longer listed


def sample(body: str, name: str) -> float:
    """The value of the series written exactly as name (with its labels); 0 when absent."""
    for line in body.splitlines():
        series, _, value = line.rpartition(" ")
        if series == name:
            return float(value)
    return 0.0


def test_metrics_count_requests_inquiries_cache_and_the_outbox(app, client, cache_on):
    def scrape() -> str:
        response = client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        return response.text

    before = scrape()
    visitor = app.test_client(use_cookies=False)
    visitor.get("/de/policies")
    visitor.get("/de/policies")
    assert send(client, open_form(client)).status_code == 303
    after = scrape()
    hits = 'qingyuan_page_cache_lookups_total{result="hit"}'
    inquiries = "qingyuan_inquiries_received_total"
    assert sample(after, hits) == sample(before, hits) + 1
    assert sample(after, inquiries) == sample(before, inquiries) + 1
    land = 'qingyuan_http_requests_total{endpoint="site.policies",method="GET",status="200"}'
    assert sample(after, land) >= sample(before, land) + 1
    assert 'qingyuan_http_request_duration_seconds_bucket{endpoint="site.inquiry"' in after
    # the inquiry queued two emails (mail is down in tests): backlog and age from the database
    assert sample(after, 'qingyuan_outbox_emails{status="queued"}') == 2
    assert sample(after, "qingyuan_outbox_oldest_queued_seconds") >= 0
    # the job queue: waiting tasks (none: tests run them at once) and failed or running work
    assert 'qingyuan_jobs_waiting{kind="pending"} 0.0' in after
    assert sample(after, 'qingyuan_jobs{state="failed_imports"}') == 0


def test_a_registered_collector_is_scraped_and_a_failing_one_hides_nothing(app, client):
    from prometheus_client.core import GaugeMetricFamily

    from core import metrics

    def queue():
        yield GaugeMetricFamily("qingyuan_jobs_queued", "Jobs waiting", value=7)

    def broken():
        raise RuntimeError("queue unreachable")
        yield  # pragma: no cover

    metrics.scrape_collector(broken)
    metrics.scrape_collector(queue)
    try:
        body = client.get("/metrics").text
    finally:
        metrics._collectors.remove(broken)
        metrics._collectors.remove(queue)
    assert sample(body, "qingyuan_jobs_queued") == 7
    assert "qingyuan_outbox_emails" in body


# -- error reports ---------------------------------------------------------------------------


def test_sentry_is_off_without_a_dsn_and_sends_no_personal_data_with_one(app, monkeypatch):
    import sys
    import types

    calls = []
    sdk = types.ModuleType("sentry_sdk")
    sdk.init = lambda **options: calls.append(options)
    flask_integration = types.ModuleType("sentry_sdk.integrations.flask")
    flask_integration.FlaskIntegration = lambda: "flask"
    monkeypatch.setitem(sys.modules, "sentry_sdk", sdk)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations", types.ModuleType("x"))
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations.flask", flask_integration)
    logs.init_sentry(app)
    assert calls == []
    app.config["SENTRY_DSN"] = "https://key@sentry.example.cn/1"
    logs.init_sentry(app)
    [options] = calls
    assert options["send_default_pii"] is False and options["integrations"] == ["flask"]
    event = {
        "request": {
            "method": "POST",
            "url": "https://x/crm/password/reset/TOKEN",
            "data": {"email": "li@bureau.example"},
            "query_string": "q=张三",
        }
    }
    with app.test_request_context(headers={"X-Request-ID": NGINX_ID}):
        scrubbed = options["before_send"](event, None)
    assert scrubbed["request"] == {"method": "POST"}


COUNT_ONE = """
from core import metrics
metrics.observe_request("site.land", "GET", 200, 0.01)
"""
SCRAPE = """
import sys
from core import create_app
from core.extensions import db
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "TESTING": True})
with app.app_context():
    db.create_all()
print(app.test_client().get("/metrics").text)
"""


@pytest.mark.slow
def test_workers_counts_add_up_in_multiprocess_mode(tmp_path):
    """As gunicorn's workers: two processes count a request each; a third one's scrape sees 2."""
    import os
    import subprocess
    import sys

    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", COUNT_ONE], env=env, check=True)
    scrape = [sys.executable, "-c", SCRAPE, str(tmp_path / "scrape.db")]
    body = subprocess.run(scrape, env=env, check=True, capture_output=True, text=True).stdout
    land = 'qingyuan_http_requests_total{endpoint="site.land",method="GET",status="200"}'
    assert sample(body, land) == 2
