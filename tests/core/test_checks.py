"""flask check-config and the start-up check: every unsafe setting refused, all at once."""

import pytest

from core import create_app
from core.checks import REFUSED, WARNING, ConfigError, review
from core.config import from_env

SAFE = {
    "APP_ENV": "production",
    "SECRET_KEY": "k" * 40,
    "DATABASE_URL": "postgresql://port@db.internal/port",
    "PUBLIC_BASE_URL": "https://invest.example.cn",
    "TRUSTED_HOSTS": "invest.example.cn",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "MAIL_SERVER": "smtp.example.cn",
    "MAIL_PORT": "465",
    "MAIL_USE_SSL": "1",
    "MAIL_DEFAULT_SENDER": "Qingyuan <noreply@invest.example.cn>",
    "PROXY_FIX": "1",
    "IMAP_HOST": "imap.qingyuan.example",
}
NAMES = [
    *SAFE,
    "CRM_BASE_URL",
    "RATELIMIT_STORAGE_URI",
    "SENTRY_DSN",
    "LOG_FORMAT",
    "FILE_STORAGE",
    "MAIL_REPLY_ROUTE",
    "IMAP_SSL",
    "HUEY_STORAGE",
    "HUEY_IMMEDIATE",
    "METRICS_TOKEN",
    "WECOM_WEBHOOK_URL",
]


@pytest.fixture
def environment(monkeypatch):
    """A production environment that passes; tests change one thing."""
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in SAFE.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def levels(config) -> dict[str, list[str]]:
    found = review(config)
    return {level: [f.message for f in found if f.level == level] for level in (REFUSED, WARNING)}


def test_a_safe_production_environment_passes(environment):
    assert levels(from_env()) == {REFUSED: [], WARNING: []}


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("APP_ENV", "Production", "APP_ENV='Production'"),
        ("SECRET_KEY", "short", "SECRET_KEY"),
        ("SECRET_KEY", "dev-only-not-secret", "SECRET_KEY"),
        ("DATABASE_URL", None, "DATABASE_URL"),
        ("PUBLIC_BASE_URL", None, "PUBLIC_BASE_URL"),
        ("PUBLIC_BASE_URL", "http://invest.example.cn", "PUBLIC_BASE_URL"),
        ("CRM_BASE_URL", "https://crm.example.cn/path", "CRM_BASE_URL"),
        ("TRUSTED_HOSTS", None, "TRUSTED_HOSTS"),
        ("REDIS_URL", None, "REDIS_URL"),
        ("MAIL_SERVER", None, "MAIL_SERVER"),
        ("MAIL_DEFAULT_SENDER", None, "MAIL_DEFAULT_SENDER"),
        ("MAIL_DEFAULT_SENDER", "x <noreply@qingyuan-port.example>", "MAIL_DEFAULT_SENDER"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
        ("FILE_STORAGE", "s3", "FILE_STORAGE"),
        ("MAIL_REPLY_ROUTE", "header", "MAIL_REPLY_ROUTE"),
        ("IMAP_SSL", "0", "IMAP_SSL=0 to imap.qingyuan.example"),
        ("HUEY_STORAGE", "sqlite", "HUEY_STORAGE"),
        ("HUEY_IMMEDIATE", "1", "HUEY_IMMEDIATE"),
        ("METRICS_TOKEN", "CHANGE-ME", "METRICS_TOKEN"),
        ("WECOM_WEBHOOK_URL", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "https://"),
    ],
)
def test_each_unsafe_setting_is_refused(environment, name, value, words):
    if value is None:
        environment.delenv(name)
    else:
        environment.setenv(name, value)
    [refused] = levels(from_env())[REFUSED]
    assert words in refused


def test_production_spelled_otherwise_is_not_development_in_disguise(environment):
    environment.setenv("APP_ENV", "Production")
    config = from_env()
    assert config["PRODUCTION"] is False
    with pytest.raises(ConfigError, match="APP_ENV"):
        create_app(config)


def test_every_problem_is_listed_at_once(environment):
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TRUSTED_HOSTS", "MAIL_SERVER"):
        environment.delenv(name)
    with pytest.raises(ConfigError) as refused:
        create_app(from_env())
    message = str(refused.value)
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TRUSTED_HOSTS", "MAIL_SERVER"):
        assert name in message


def test_port_25_and_no_proxy_fix_are_warnings(environment):
    environment.setenv("MAIL_PORT", "25")
    environment.setenv("PROXY_FIX", "0")
    found = levels(from_env())
    assert found[REFUSED] == []
    assert any("465" in w and "Postfix" in w for w in found[WARNING])
    assert any("PROXY_FIX=0" in w for w in found[WARNING])
    environment.setenv("MAIL_SERVER", "localhost")  # a local relay may use 25
    assert not any("MAIL_PORT" in w for w in levels(from_env())[WARNING])


def test_sentry_without_its_package_is_refused(environment, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "sentry_sdk" else real(name)
    )
    environment.setenv("SENTRY_DSN", "https://key@sentry.example.cn/1")
    [refused] = levels(from_env())[REFUSED]
    assert "sentry-sdk" in refused


def test_development_needs_none_of_it(monkeypatch):
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    assert levels(from_env()) == {REFUSED: [], WARNING: []}


def test_the_command_lists_and_exits_non_zero(app, environment):
    runner = app.test_cli_runner()
    app.config.update(from_env())
    result = runner.invoke(args=["check-config"])
    assert result.exit_code == 0, result.output
    assert "OK       REDIS_URL is set" in result.output
    app.config.update(REDIS_URL="", SECRET_KEY="short", MAIL_PORT=25)
    result = runner.invoke(args=["check-config"])
    assert result.exit_code == 1
    assert "REFUSED  REDIS_URL" in result.output and "REFUSED  SECRET_KEY" in result.output
    assert "WARNING  MAIL_PORT=25" in result.output
