"""An installed copy (pip install ., not editable) serves the same site as the checkout when
QINGYUAN_ROOT names the release's files, and refuses to start without them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter from the installed copy: /zh/ and the places the app reads from.
PROBE = """
import json, core
from core import create_app
from core.extensions import db
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///probe.db", "RATELIMIT_ENABLED": False})
with app.app_context():
    db.create_all()
page = app.test_client().get("/zh/")
print(json.dumps({
    "code": core.__file__,
    "status": page.status_code,
    "html": page.get_data(as_text=True),
    "translations": app.config["BABEL_TRANSLATION_DIRECTORIES"],
    "content": app.config["CONTENT_DIR"],
}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("installed")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", target, "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert not (target / "translations").exists() and not (target / "migrations").exists()
    return target


def _probe(installed: Path, tmp_path: Path, **env) -> subprocess.CompletedProcess:
    # PYTHONPATH puts the installed copy before the checkout's editable install.
    clean = {k: v for k, v in os.environ.items() if k not in {"QINGYUAN_ROOT", "APP_ENV"}}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(installed), "INSTANCE_PATH": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_installed_copy_with_qingyuan_root_serves_chinese(installed, tmp_path):
    done = _probe(installed, tmp_path, QINGYUAN_ROOT=str(ROOT))
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["code"].startswith(str(installed))
    assert found["status"] == 200
    assert '<html lang="zh-Hans">' in found["html"]
    # The interface's strings come from the compiled Chinese catalog (not only the content).
    assert "Skip to content" not in found["html"] and "跳到正文" in found["html"]
    assert found["translations"] == str(ROOT / "translations")
    assert found["content"] == str(ROOT / "content")


def test_installed_copy_without_its_files_refuses_to_start(installed, tmp_path):
    done = _probe(installed, tmp_path)
    assert done.returncode != 0
    assert "QINGYUAN_ROOT" in done.stderr
    assert "translations/messages.pot" in done.stderr and "migrations/env.py" in done.stderr


def test_production_refuses_a_root_with_uncompiled_catalogs(installed, tmp_path):
    release = tmp_path / "release"
    catalog = release / "translations" / "zh" / "LC_MESSAGES"
    catalog.mkdir(parents=True)
    (release / "migrations").symlink_to(ROOT / "migrations")
    (release / "content").symlink_to(ROOT / "content")
    (release / "translations" / "messages.pot").write_text("", encoding="utf-8")
    (catalog / "messages.po").write_text("", encoding="utf-8")  # never compiled: no .mo
    done = _probe(
        installed,
        tmp_path,
        QINGYUAN_ROOT=str(release),
        APP_ENV="production",
        SECRET_KEY="x" * 40,
        PUBLIC_BASE_URL="https://invest.example",
        TRUSTED_HOSTS="invest.example",
    )
    assert done.returncode != 0
    assert "zh/LC_MESSAGES/messages.mo" in done.stderr and "pybabel compile" in done.stderr
