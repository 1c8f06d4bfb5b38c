"""Whether a configuration is safe to run: every problem at once (flask check-config, start-up)."""

import importlib.util
import ipaddress
import logging
import sys
from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import with_appcontext

from core.config import APP_ENVS, DEV_SECRET, ROOT, missing_app_files
from core.urls import check_base_url

OK, WARNING, REFUSED = "ok", "warning", "refused"
LOG_FORMATS = ("json", "text")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
EXAMPLE_SENDER = "qingyuan-port.example"  # the development sender's domain: mail from it bounces


class ConfigError(RuntimeError, click.ClickException):
    """The configuration has problems the app refuses to start with; the message lists them all.

    A ClickException too, so a flask command started with it prints the list, not a traceback.
    """

    def __init__(self, message: str):
        RuntimeError.__init__(self, message)
        click.ClickException.__init__(self, message)


@dataclass(frozen=True)
class Finding:
    level: str
    message: str


def review(config) -> list[Finding]:
    """Every finding about config, in a stable order: ok, warnings and refusals mixed."""
    found: list[Finding] = []

    def judge(good: bool, ok: str, bad: str, level: str = REFUSED) -> None:
        found.append(Finding(OK, ok) if good else Finding(level, bad))

    app_env = config.get("APP_ENV", "development")
    judge(
        app_env in APP_ENVS,
        f"APP_ENV={app_env}",
        f"APP_ENV={app_env!r} is none of {', '.join(APP_ENVS)} (spelled exactly, in lower case); "
        "anything else would run as development, with its secret and demo accounts",
    )
    production = bool(config.get("PRODUCTION"))
    missing = missing_app_files(ROOT, production)
    judge(
        not missing,
        f"the app's files are under {ROOT}",
        f"the app's files are not under {ROOT} (set QINGYUAN_ROOT to the release's directory, "
        "the checkout holding translations/ and migrations/); missing: " + ", ".join(missing),
    )
    found += _addresses(config, production)
    from core.storage import BACKENDS

    store = config.get("FILE_STORAGE", "disk")
    judge(
        store in BACKENDS,
        f"FILE_STORAGE={store}",
        f"FILE_STORAGE={store!r} is none of {', '.join(BACKENDS)}",
    )
    route = config.get("MAIL_REPLY_ROUTE", "address")
    judge(
        route in ("address", "subject"),
        f"MAIL_REPLY_ROUTE={route}",
        f"MAIL_REPLY_ROUTE={route!r} is neither address (invest+<token>@…) nor subject",
    )
    if production:
        _production(config, judge)
    judge(
        config.get("LOG_FORMAT") in LOG_FORMATS,
        f"LOG_FORMAT={config.get('LOG_FORMAT')}",
        f"LOG_FORMAT={config.get('LOG_FORMAT')!r} is neither json nor text",
    )
    judge(
        isinstance(logging.getLevelName(config.get("LOG_LEVEL", "INFO")), int),
        f"LOG_LEVEL={config.get('LOG_LEVEL', 'INFO')}",
        f"LOG_LEVEL={config.get('LOG_LEVEL')!r} is not a logging level (DEBUG, INFO, WARNING…)",
    )
    bad_networks = [n for n in config.get("METRICS_ALLOW", []) if not _network(n)]
    judge(
        not bad_networks,
        "METRICS_ALLOW lists networks",
        f"METRICS_ALLOW has entries that are no address or network: {', '.join(bad_networks)}",
    )
    if config.get("SENTRY_DSN"):
        judge(
            importlib.util.find_spec("sentry_sdk") is not None,
            "SENTRY_DSN set, sentry-sdk installed",
            "SENTRY_DSN is set but sentry-sdk is not installed: "
            "pip install 'sentry-sdk[flask]' (or leave SENTRY_DSN empty)",
        )
    return found


def _addresses(config, production: bool) -> list[Finding]:
    found = []
    for name in ("PUBLIC_BASE_URL", "CRM_BASE_URL"):
        value = config.get(name) or ""
        if not value:
            if name == "PUBLIC_BASE_URL" and production:
                found.append(Finding(REFUSED, "PUBLIC_BASE_URL must be set (the site's origin)"))
            continue
        try:
            check_base_url(value, production)
        except RuntimeError as exc:
            found.append(Finding(REFUSED, str(exc).replace("PUBLIC_BASE_URL", name)))
        else:
            found.append(Finding(OK, f"{name}={value}"))
    return found


def _production(config, judge) -> None:
    secret = config.get("SECRET_KEY") or ""
    judge(
        secret != DEV_SECRET and len(secret) >= 32,
        "SECRET_KEY is set (32+ characters)",
        "SECRET_KEY must be a random value of 32+ characters (not the development one)",
    )
    uri = config.get("SQLALCHEMY_DATABASE_URI") or ""
    judge(bool(uri), "DATABASE_URL is set", "DATABASE_URL must be set (postgresql://…)")
    if uri:
        judge(
            not uri.startswith("sqlite"),
            "DATABASE_URL is a server database",
            "DATABASE_URL is SQLite: one server only, and no shared counters",
            WARNING,
        )
    imap_host = config.get("IMAP_HOST") or ""
    judge(
        not imap_host or config.get("IMAP_SSL", True) or imap_host in LOCAL_HOSTS,
        "IMAP: off, over TLS, or on this machine",
        f"IMAP_SSL=0 to {imap_host}: the mailbox password and investors' mail cross the network "
        "unencrypted",
    )
    wecom = config.get("WECOM_WEBHOOK_URL") or ""
    judge(
        not wecom or wecom.startswith("https://"),
        "WeCom robot: off or over HTTPS",
        "WECOM_WEBHOOK_URL must start with https://: the robot's key is in the address",
    )
    judge(
        config.get("FILE_STORAGE") != "disk",
        "uploads stored in the database",
        "FILE_STORAGE=disk: every app server must see the same UPLOAD_DIR, and backups must "
        "copy it beside the database",
        WARNING,
    )
    judge(
        not config.get("HUEY_IMMEDIATE") and config.get("HUEY_STORAGE") == "redis",
        "jobs queued on Redis for the workers",
        "HUEY_STORAGE must be redis and HUEY_IMMEDIATE off: otherwise the web processes run "
        "the jobs (mail, imports) themselves, or workers on other servers never see them",
    )
    judge(
        bool(config.get("TRUSTED_HOSTS")),
        f"TRUSTED_HOSTS={','.join(config.get('TRUSTED_HOSTS') or [])}",
        "TRUSTED_HOSTS must list the host names the site answers to",
    )
    judge(
        bool(config.get("REDIS_URL")),
        "REDIS_URL is set",
        "REDIS_URL must be set (rate limits and sign-in throttling shared by all workers)",
    )
    server, sender = config.get("MAIL_SERVER") or "", config.get("MAIL_DEFAULT_SENDER") or ""
    judge(bool(server), f"MAIL_SERVER={server}", "MAIL_SERVER must be set (the SMTP server)")
    judge(
        bool(sender) and EXAMPLE_SENDER not in sender,
        "MAIL_DEFAULT_SENDER is set",
        "MAIL_DEFAULT_SENDER must be set to an address of the bureau's own domain",
    )
    judge(
        config.get("MAIL_PORT") != 25 or server in LOCAL_HOSTS,
        f"MAIL_PORT={config.get('MAIL_PORT')}",
        "MAIL_PORT=25 to another host: most mainland clouds block outgoing port 25; use 465 with "
        "MAIL_USE_SSL=1, 587 with MAIL_USE_TLS=1, or a local Postfix relay (localhost:25)",
        WARNING,
    )
    # The example file's placeholder is public: a token anyone can read is no access control.
    token = config.get("METRICS_TOKEN") or ""
    judge(
        not token or len(token) >= 32,
        "METRICS_TOKEN is empty or 32+ characters",
        "METRICS_TOKEN must be a random value of 32+ characters, or empty (then only the "
        "addresses of METRICS_ALLOW may read /metrics)",
    )
    judge(
        bool(config.get("PROXY_FIX")),
        f"PROXY_FIX={config.get('PROXY_FIX')}",
        "PROXY_FIX=0: behind nginx every client address is 127.0.0.1, so rate limits and "
        "sign-in throttling count everyone as one visitor, and /metrics answers everyone",
        WARNING,
    )


def _network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def refuse_unsafe(config) -> list[Finding]:
    """Raise ConfigError listing every refusal; else the warnings, for the log."""
    found = review(config)
    refused = [f.message for f in found if f.level == REFUSED]
    if refused:
        raise ConfigError(
            "the configuration is refused (flask check-config lists it):\n"
            + "\n".join(f"  - {message}" for message in refused)
        )
    return [f for f in found if f.level == WARNING]


def at_start(app) -> list[Finding]:
    """create_app's check: raises on refusals, returns the warnings for the log. `flask
    check-config` loads the app too, to report rather than refuse: it gets a throw-away database
    so that the app loads without DATABASE_URL."""
    if "check-config" in sys.argv[1:]:
        app.extensions["config_findings"] = review(app.config)
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"] or "sqlite://"
        return []
    return refuse_unsafe(app.config)


@click.command("check-config")
@with_appcontext
def check_config_command():
    """Check the configuration (the environment) and list every problem; exit 1 if refused."""
    found = current_app.extensions.get("config_findings") or review(current_app.config)
    for finding in found:
        click.echo(f"{finding.level.upper():8} {finding.message}")
    refused = sum(f.level == REFUSED for f in found)
    warnings = sum(f.level == WARNING for f in found)
    if refused:
        click.echo(f"refused: {refused} problem(s), {warnings} warning(s)", err=True)
        raise click.exceptions.Exit(1)
    click.echo(f"configuration accepted, {warnings} warning(s)")
