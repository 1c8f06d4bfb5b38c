"""The deploy/ files are valid for the tools that read them (systemd, rsyslog, logrotate), share
one environment file and one sandbox, and the example environment lists every setting."""

import os
import re
import shutil
import subprocess
import time
from configparser import ConfigParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
# Read by the app but not the county's to set: the request's own variables.
NOT_SETTINGS = {
    "HTTP_COOKIE",
    "HTTP_HOST",
    "HTTP_X_REQUEST_ID",
    "PATH_INFO",
    "QUERY_STRING",
    "REQUEST_METHOD",
    "SCRIPT_NAME",
}


def _unit(path: Path) -> ConfigParser:
    parser = ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser


def _settings_read_by_the_app() -> set[str]:
    found = set()
    for folder in ("core", "crm", "site"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            found |= set(re.findall(r"environ(?:\.get)?[(\[]\s*\"([A-Z][A-Z0-9_]+)\"", text))
            found |= set(re.findall(r"_bool\(\s*\"([A-Z][A-Z0-9_]+)\"", text))
    return found - NOT_SETTINGS


def test_three_units_one_environment_file_one_sandbox():
    assert [u.name for u in UNITS] == [
        "qingyuan-scheduler.service",
        "qingyuan-web.service",
        "qingyuan-worker.service",
    ]
    for path in UNITS:
        service = _unit(path)["Service"]
        assert service["User"] == "qingyuan"
        assert service["EnvironmentFile"] == "/etc/qingyuan/qingyuan.env"
        assert service["WorkingDirectory"] == "/opt/qingyuan"
        assert service["Restart"] == "on-failure"
        assert service["ProtectSystem"] == "strict" and service["NoNewPrivileges"] == "yes"
        assert service["PrivateTmp"] == "yes"
        assert service["ReadWritePaths"] == "/var/lib/qingyuan"
    web = _unit(DEPLOY / "systemd" / "qingyuan-web.service")["Service"]
    assert web["ExecReload"] == "/bin/kill -s HUP $MAINPID"
    assert web["RuntimeDirectory"] == "qingyuan-web"
    text = (DEPLOY / "systemd" / "qingyuan-web.service").read_text(encoding="utf-8")
    assert "\nEnvironment=PROMETHEUS_MULTIPROC_DIR=/run/qingyuan-web\n" in text


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    for path in UNITS:
        text = path.read_text(encoding="utf-8").replace("/opt/qingyuan", str(ROOT))
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    (ROOT / ".venv" / "bin" / "gunicorn").resolve(strict=True)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / p.name) for p in UNITS)],
        capture_output=True,
        text=True,
    )
    # Unknown or misspelt keys are only warnings to systemd: any output is a failure here.
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), done


def test_the_example_environment_lists_every_setting():
    example = (DEPLOY / "qingyuan.env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    # The web unit sets it; the example says so without offering it.
    assert _settings_read_by_the_app() - listed == {"PROMETHEUS_MULTIPROC_DIR"}
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text(encoding="utf-8")
    assert set(re.findall(r"\"(GUNICORN_[A-Z_]+)\"", gunicorn)) <= listed


def test_the_operations_guide_explains_every_setting():
    guide = (ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    missing = {name for name in _settings_read_by_the_app() if f"`{name}" not in guide}
    assert missing == set()


def test_gunicorn_settings_load_with_four_sync_workers(monkeypatch):
    from gunicorn.config import Config

    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    config = Config()
    namespace: dict = {"__file__": str(DEPLOY / "gunicorn.conf.py")}
    exec(compile((DEPLOY / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102
    for key, value in namespace.items():
        if key in config.settings:
            config.set(key, value)
    assert config.workers == 4 and config.worker_class_str == "sync"
    assert config.bind == ["127.0.0.1:8000"] and config.timeout == 30
    assert "%(U)s" in config.access_log_format and "%(q)s" not in config.access_log_format


@pytest.mark.skipif(not shutil.which("logrotate"), reason="logrotate is not installed")
def test_logrotate_keeps_the_security_log_six_months():
    done = subprocess.run(
        ["logrotate", "--debug", DEPLOY / "logrotate" / "qingyuan"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "monthly (7 rotations)" in done.stderr + done.stdout


@pytest.mark.skipif(not shutil.which("rsyslogd"), reason="rsyslog is not installed")
def test_rsyslog_accepts_the_security_rule(tmp_path):
    config = tmp_path / "rsyslog.conf"
    rule = DEPLOY / "rsyslog" / "30-qingyuan-security.conf"
    config.write_text(f'module(load="imuxsock")\n$IncludeConfig {rule}\n', encoding="utf-8")
    done = subprocess.run(["rsyslogd", "-N1", "-f", config], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "error" not in (done.stderr + done.stdout).lower()


@pytest.mark.skipif(
    not shutil.which("rsyslogd") or not shutil.which("logger") or os.geteuid() != 0,
    reason="needs rsyslog, logger and root",
)
def test_rsyslog_keeps_the_security_lines_of_the_services_only(tmp_path):
    log = tmp_path / "security.log"
    rule = (DEPLOY / "rsyslog" / "30-qingyuan-security.conf").read_text(encoding="utf-8")
    (tmp_path / "rule.conf").write_text(
        rule.replace("/var/log/qingyuan/security.log", str(log)), encoding="utf-8"
    )
    socket = tmp_path / "log.sock"
    (tmp_path / "rsyslog.conf").write_text(
        f'global(workDirectory="{tmp_path}")\n'
        'module(load="imuxsock" SysSock.Use="off")\n'
        f'input(type="imuxsock" Socket="{socket}")\n'
        f"$IncludeConfig {tmp_path / 'rule.conf'}\n",
        encoding="utf-8",
    )
    daemon = subprocess.Popen(
        ["rsyslogd", "-n", "-f", tmp_path / "rsyslog.conf", "-i", tmp_path / "pid"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            if socket.exists():
                break
            time.sleep(0.1)
        lines = [
            ("qingyuan-web", '{"logger": "qingyuan.security", "event": "sign_in", "user_id": 7}'),
            ("qingyuan-web", '{"logger": "qingyuan.request", "path": "/en/"}'),
            ("sshd", "qingyuan.security from elsewhere"),
        ]
        for tag, message in lines:
            subprocess.run(["logger", "--socket", socket, "-t", tag, message], check=True)
        for _ in range(50):
            if log.exists() and "sign_in" in log.read_text(encoding="utf-8"):
                break
            time.sleep(0.1)
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
    kept = log.read_text(encoding="utf-8")
    assert "qingyuan-web: " in kept and '"user_id": 7' in kept
    assert "qingyuan.request" not in kept and "elsewhere" not in kept
    assert oct(log.stat().st_mode & 0o777) == "0o640"
