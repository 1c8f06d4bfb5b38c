"""bin/qingyuan: runs flask from the app's directory and venv with the services' environment file
(and nothing from the caller's shell), as the service user, and refuses to run without it."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = ROOT / "bin" / "qingyuan"
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")

# Stands in for the venv's flask: says where it runs, as whom, with what.
FAKE_FLASK = """#!/bin/sh
echo "cwd=$(pwd)"
echo "user=$(id -un)"
echo "args=$*"
env | sort | sed 's/^/env:/'
"""

ENV_FILE = """# the county's settings
; a comment in systemd's other style

APP_ENV=production
DATABASE_URL=postgresql://port:secret@db.example/port
LOGIN_RATE_LIMIT=10 per minute;50 per hour
MAIL_DEFAULT_SENDER="Qingyuan Port <noreply@port.example>"
  SECRET_KEY = 'quoted # not a comment'
EMPTY=
"""


@pytest.fixture
def app_dir():
    """A world-readable copy of the wrapper in an app directory with a fake venv, so the
    service user (nobody here) can run it; pytest's own temp folders are root's alone."""
    folder = Path(tempfile.mkdtemp(prefix="qingyuan-wrapper-"))
    folder.chmod(0o755)
    (folder / "bin").mkdir()
    shutil.copy2(WRAPPER, folder / "bin" / "qingyuan")
    (folder / ".venv" / "bin").mkdir(parents=True)
    for program in ("flask", "gunicorn"):
        fake = folder / ".venv" / "bin" / program
        fake.write_text(FAKE_FLASK.replace('"args=', f'"{program} args='), encoding="utf-8")
        fake.chmod(0o755)
    (folder / "qingyuan.env").write_text(ENV_FILE, encoding="utf-8")
    (folder / "qingyuan.env").chmod(0o600)
    yield folder
    shutil.rmtree(folder)


def _run(
    app_dir: Path, *args: str, cwd="/", user: str = "root", **env
) -> subprocess.CompletedProcess:
    settings = {
        "PATH": os.environ["PATH"],
        "QINGYUAN_ENV": str(app_dir / "qingyuan.env"),
        "QINGYUAN_USER": user,
        # What a root shell may hold: none of it may reach the command.
        "DATABASE_URL": "sqlite:///leaked.db",
        "FLASK_DEBUG": "1",
        **env,
    }
    return subprocess.run(
        [app_dir / "bin" / "qingyuan", *args],
        cwd=cwd,
        env=settings,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _env(output: str) -> dict[str, str]:
    lines = [line.removeprefix("env:") for line in output.splitlines() if line.startswith("env:")]
    return dict(line.split("=", 1) for line in lines)


def test_runs_flask_in_the_app_dir_with_the_files_settings_only(app_dir):
    done = _run(app_dir, "send-outbox", "--limit", "5")
    assert done.returncode == 0, done.stderr
    assert f"cwd={app_dir}" in done.stdout
    assert "flask args=--app wsgi send-outbox --limit 5" in done.stdout
    env = _env(done.stdout)
    assert env["DATABASE_URL"] == "postgresql://port:secret@db.example/port"
    assert env["LOGIN_RATE_LIMIT"] == "10 per minute;50 per hour"
    assert env["MAIL_DEFAULT_SENDER"] == "Qingyuan Port <noreply@port.example>"
    assert env["SECRET_KEY"] == "quoted # not a comment"
    assert env["EMPTY"] == ""
    assert "FLASK_DEBUG" not in env and "QINGYUAN_ENV" not in env
    assert env["PATH"].startswith(f"{app_dir}/.venv/bin:")


def test_runs_another_program_of_the_venv_with_the_same_environment(app_dir):
    done = _run(app_dir, "--run", "gunicorn", "--config", "deploy/gunicorn.conf.py", "wsgi:app")
    assert done.returncode == 0, done.stderr
    assert "gunicorn args=--config deploy/gunicorn.conf.py wsgi:app" in done.stdout
    assert _env(done.stdout)["DATABASE_URL"] == "postgresql://port:secret@db.example/port"
    for wrong in ("/bin/sh", "../../bin/sh", ""):
        refused = _run(app_dir, "--run", wrong)
        assert refused.returncode == 64 and "cwd=" not in refused.stdout


def test_refuses_without_the_environment_file(app_dir):
    done = _run(app_dir, "send-outbox", QINGYUAN_ENV=str(app_dir / "missing.env"))
    assert done.returncode == 78
    assert "cannot read the environment file" in done.stderr and "cwd=" not in done.stdout


@ROOT_ONLY
def test_refuses_a_user_who_cannot_read_the_file(app_dir):
    done = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
        + [app_dir / "bin" / "qingyuan", "send-outbox"],
        env={"PATH": os.environ["PATH"], "QINGYUAN_ENV": str(app_dir / "qingyuan.env")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 78 and "run with sudo" in done.stderr


def test_refuses_a_file_without_a_database(app_dir):
    (app_dir / "qingyuan.env").write_text("APP_ENV=production\nDATABASE_URL=\n", encoding="utf-8")
    done = _run(app_dir, "send-outbox")
    assert done.returncode == 78 and "sets no DATABASE_URL" in done.stderr


def test_refuses_a_line_that_is_not_a_setting(app_dir):
    (app_dir / "qingyuan.env").write_text(ENV_FILE + "export X=1\n", encoding="utf-8")
    done = _run(app_dir, "send-outbox")
    assert done.returncode == 78 and "line 10 is not KEY=value" in done.stderr


@ROOT_ONLY
def test_root_runs_the_command_as_the_service_user(app_dir):
    done = _run(app_dir, "send-outbox", user="nobody")
    assert done.returncode == 0, done.stderr
    assert "user=nobody" in done.stdout
    assert _env(done.stdout)["USER"] == "nobody"


@ROOT_ONLY
def test_refuses_an_unknown_service_user(app_dir):
    done = _run(app_dir, "send-outbox", user="no-such-user-here")
    assert done.returncode == 78 and "no user no-such-user-here" in done.stderr


def test_the_real_app_migrates_and_loads_content_from_any_directory(tmp_path):
    """The checkout's own wrapper and venv against a database named only in the file."""
    env_file = tmp_path / "qingyuan.env"
    database = tmp_path / "port.db"
    env_file.write_text(f"DATABASE_URL=sqlite:///{database}\n", encoding="utf-8")
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    env = {"PATH": os.environ["PATH"], "QINGYUAN_ENV": str(env_file), "QINGYUAN_USER": user}
    for command in (["db", "upgrade"], ["load-content"]):
        done = subprocess.run(
            [WRAPPER, *command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
    assert "plots: " in done.stdout and "enterprises: " in done.stdout
    assert database.is_file()  # the file's database, not a default one
