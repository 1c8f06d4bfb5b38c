"""deploy/smoke against the app in production mode under gunicorn with deploy/gunicorn.conf.py
(4 sync workers), checked directly as during a rolling restart: it passes on a deployment with
the park's content and fails, saying why, on one without."""

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.databases import WORKER, create_database, named

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "deploy" / "smoke"
# One port per pytest-xdist worker, in case the module's tests are spread over several.
PORT = 5810 + int((WORKER or "gw0").removeprefix("gw"))
HOST = "invest.qingyuan.test"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def production_env(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("smoke")
    if TEST_DATABASE_URL:
        database = named(TEST_DATABASE_URL, f"{Path(TEST_DATABASE_URL).name}_smoke{PORT}")
        create_database(database)
    else:
        database = f"sqlite:///{folder / 'port.db'}"
    return {
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database,
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        "PUBLIC_BASE_URL": f"https://{HOST}",
        "TRUSTED_HOSTS": HOST,
        "PROXY_FIX": "1",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": "5849",
        "MAIL_DEFAULT_SENDER": "Smoke <noreply@qingyuan.test>",
        "INSTANCE_PATH": str(folder),
        "PAGE_CACHE_SECONDS": "0",
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
    }


def _flask(env: dict, *args: str) -> str:
    done = subprocess.run(
        [ROOT / ".venv" / "bin" / "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def server(production_env, tmp_path_factory):
    _flask(production_env, "db", "upgrade")
    config = ROOT / "deploy" / "gunicorn.conf.py"
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [ROOT / ".venv" / "bin" / "gunicorn", "--config", config, "wsgi:app"],
            cwd=ROOT,
            env=production_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{PORT}"
    for _ in range(120):
        try:
            urllib.request.urlopen(base + "/robots.txt", timeout=2)  # noqa: S310
            break
        except urllib.error.HTTPError:
            break  # an answer (400: the probe names no trusted host): the workers are up
        except OSError:
            if process.poll() is not None:
                pytest.fail(log.read_text())
            time.sleep(0.5)
    yield base, process, log
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


def _smoke(base: str, *extra: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, SMOKE, base, "--host", HOST, "--forwarded-proto", "https", *extra],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_smoke_fails_before_the_content_is_loaded_and_passes_after(server, production_env):
    base, process, _ = server
    before = _smoke(base)
    assert before.returncode == 1
    assert "FAIL  plots: /en/land lists no plots: was `flask load-content` run?" in before.stdout
    assert "ok    readyz:" in before.stdout and "ok    chinese:" in before.stdout

    _flask(production_env, "load-content")
    password = secrets.token_urlsafe(16)
    _flask(
        production_env,
        "create-user",
        "--email=admin@port.test",
        "--role=admin",
        "--password",
        password,
    )
    after = _smoke(base, "--sign-in", "admin@port.test", SMOKE_PASSWORD=password)
    assert after.returncode == 0, after.stdout
    for check in ("healthz", "readyz", "root", "pages", "chinese", "plots", "crm", "static"):
        assert f"ok    {check}: " in after.stdout
    # The first admin signs in and is sent to enrol a second factor.
    assert (
        "ok    sign_in: admin@port.test signed in, sent to /crm/account/two-factor" in after.stdout
    )
    wrong = _smoke(base, "--sign-in", "admin@port.test", SMOKE_PASSWORD="not the password")
    assert wrong.returncode == 1 and "FAIL  sign_in: " in wrong.stdout
    assert process.poll() is None


def test_four_sync_workers_and_access_lines_without_query_strings(server):
    base, _, log = server
    request = urllib.request.Request(
        base + "/en/land?zone=secret-search", headers={"Host": HOST, "X-Request-ID": "smoke-42"}
    )
    urllib.request.urlopen(request, timeout=10).read()  # noqa: S310
    for _ in range(50):
        output = log.read_text(encoding="utf-8")
        if "smoke-42" in output:
            break
        time.sleep(0.1)
    assert output.count("Booting worker with pid") == 4
    assert 'smoke-42 "GET /en/land" 200' in output
    assert "secret-search" not in output


def test_smoke_refuses_what_is_not_a_web_address():
    done = subprocess.run(
        [sys.executable, SMOKE, "file:///etc/passwd"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "http:// or https://" in done.stderr
