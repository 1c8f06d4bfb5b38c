"""Configuration from environment variables, with development defaults; core/checks.py judges it."""

import os
from pathlib import Path


def app_root() -> Path:
    """Where translations/, migrations/ and content/ are: QINGYUAN_ROOT, else this checkout.

    An installed copy (pip install .) puts the code in site-packages without them, so it must be
    told where the release's files are; core/checks.py refuses to start when they are missing.
    """
    configured = os.environ.get("QINGYUAN_ROOT", "").strip()
    return Path(configured).resolve() if configured else Path(__file__).resolve().parent.parent


ROOT = app_root()
DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - refused in production by core/checks.py
APP_ENVS = ("development", "production", "test")
# `make run` serves here; PUBLIC_BASE_URL overrides it (and must, in production).
DEV_BASE_URL = "http://127.0.0.1:5000"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(raw: str) -> str:
    """Normalise a DATABASE_URL to the drivers we ship (psycopg 3)."""
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw.removeprefix("postgres://")
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw.removeprefix("postgresql://")
    return raw


def missing_app_files(root: Path, production: bool) -> list[str]:
    """What the app needs beside its code and lacks under root (empty when all is there)."""
    missing = [
        str(root / name)
        for name in ("migrations/env.py", "translations/messages.pot")
        if not (root / name).is_file()
    ]
    # Without its compiled catalog a language is served in English, with no error anywhere.
    # Development compiles them with `make catalogs`; the catalog test fails on a stale one.
    if production:
        for po in sorted(root.glob("translations/*/LC_MESSAGES/messages.po")):
            if not po.with_suffix(".mo").is_file():
                missing.append(f"{po.with_suffix('.mo')} (run: pybabel compile -d translations)")
    return missing


def from_env() -> dict:
    """Build the config mapping. Values only: core/checks.py refuses what production must not run
    with, so that every problem is listed at once (flask check-config, and create_app)."""
    app_env = os.environ.get("APP_ENV", "development")
    production = app_env == "production"
    instance = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))
    redis_url = os.environ.get("REDIS_URL", "")
    ratelimit_uri = os.environ.get("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    # Every absolute address the app hands out (mails, QR codes, sitemap) starts with this;
    # production has no default (the check refuses it empty).
    public_base_url = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
    # Flask answers 400 to a request for any other Host (or X-Forwarded-Host, when trusted).
    trusted_hosts = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
    # Production has no fallback database, mail server or sender: a missing one is refused rather
    # than quietly replaced by SQLite in instance/ or a mail server that is not there.
    default_db = "" if production else f"sqlite:///{instance / 'port.db'}"
    cfg = {
        "APP_ENV": app_env,
        "PRODUCTION": production,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET),
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL", default_db)),
        "CONTENT_DIR": os.environ.get("CONTENT_DIR", str(ROOT / "content")),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(instance / "uploads")),
        # What the build makes from content/ (picture variants, share previews, PDF downloads):
        # kept between restarts, remade when their sources change, never committed.
        "BUILD_DIR": os.environ.get("BUILD_DIR", str(instance / "build")),
        # Where uploaded files live (core/storage.py): "database" in production, so app servers
        # share no disk and database backups hold the files; "disk" (UPLOAD_DIR) elsewhere.
        "FILE_STORAGE": os.environ.get("FILE_STORAGE", "database" if production else "disk"),
        "PUBLIC_BASE_URL": public_base_url or ("" if production else DEV_BASE_URL),
        "CRM_BASE_URL": os.environ.get("CRM_BASE_URL", "").rstrip("/"),
        "TRUSTED_HOSTS": trusted_hosts or None,
        "BUREAU_EMAIL": os.environ.get("BUREAU_EMAIL", "invest@qingyuan-port.example"),
        # The WeCom group robot told of new inquiries and replies (a team's own URL wins).
        "WECOM_WEBHOOK_URL": os.environ.get("WECOM_WEBHOOK_URL", ""),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "" if production else "localhost"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "8025" if not production else "25")),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER",
            "" if production else "Qingyuan Industrial Port <noreply@qingyuan-port.example>",
        ),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "10")),
        # The display name on mail from BUREAU_EMAIL ("李招商 — <this>" when an officer writes).
        "MAIL_FROM_NAME": os.environ.get("MAIL_FROM_NAME", "Qingyuan Investment Bureau"),
        # Where a reply's lead token travels: "address" (invest+<token>@…) or "subject".
        "MAIL_REPLY_ROUTE": os.environ.get("MAIL_REPLY_ROUTE", "address"),
        # The bureau's mailbox that fetch-mail reads (off while IMAP_HOST is empty).
        "IMAP_HOST": os.environ.get("IMAP_HOST", ""),
        "IMAP_PORT": int(os.environ.get("IMAP_PORT", "993" if _bool("IMAP_SSL", True) else "143")),
        "IMAP_SSL": _bool("IMAP_SSL", True),
        "IMAP_USER": os.environ.get("IMAP_USER", ""),
        "IMAP_PASSWORD": os.environ.get("IMAP_PASSWORD", ""),
        "IMAP_FOLDER": os.environ.get("IMAP_FOLDER", "INBOX"),
        "REDIS_URL": redis_url,
        # The job queue (core/jobs.py): "redis" (on REDIS_URL, the production default) or
        # "sqlite" (HUEY_SQLITE_PATH, development); HUEY_IMMEDIATE runs each task at once in the
        # process that enqueues it (tests).
        "HUEY_STORAGE": os.environ.get("HUEY_STORAGE", "redis" if production else "sqlite"),
        "HUEY_SQLITE_PATH": os.environ.get("HUEY_SQLITE_PATH", str(instance / "jobs.db")),
        "HUEY_IMMEDIATE": _bool("HUEY_IMMEDIATE", False),
        # An import the worker has not reported on for this long is marked failed (reap-imports).
        "IMPORT_STALE_MINUTES": int(os.environ.get("IMPORT_STALE_MINUTES", "10")),
        "RATELIMIT_STORAGE_URI": ratelimit_uri,
        # Redis down must not take sign-in and the inquiry form down with it: the limiter counts
        # in this process's memory meanwhile (and says so in the log); a dead Redis is noticed
        # within a second, not after a hanging connect.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": (
            {"socket_connect_timeout": 1, "socket_timeout": 1}
            if ratelimit_uri.startswith(("redis://", "rediss://"))
            else {}
        ),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Per address the limits are generous: a fair's Wi-Fi or a county office's NAT is one
        # address for many people. Per form (the signed fill-time token) and per account they are
        # tight; the account limits are LOGIN_ACCOUNT_* below.
        "INQUIRY_RATE_LIMIT": os.environ.get("INQUIRY_RATE_LIMIT", "60 per minute;300 per hour"),
        "INQUIRY_FORM_LIMIT": os.environ.get("INQUIRY_FORM_LIMIT", "10 per 10 minutes"),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "60 per minute;300 per hour"),
        # Failed CRM sign-ins per account from one address (a hard limit), and per account from
        # anywhere (also reset links per address): past it, browsers that never signed in to the
        # account wait a pause growing to LOGIN_PAUSE_MAX_SECONDS (crm/auth/signin_throttle.py); a
        # browser that did stays known for LOGIN_DEVICE_DAYS. Then CRM session lifetimes.
        "LOGIN_ACCOUNT_IP_LIMIT": os.environ.get("LOGIN_ACCOUNT_IP_LIMIT", "5 per 15 minutes"),
        "LOGIN_ACCOUNT_LIMIT": os.environ.get("LOGIN_ACCOUNT_LIMIT", "5 per 15 minutes"),
        "LOGIN_PAUSE_MAX_SECONDS": int(os.environ.get("LOGIN_PAUSE_MAX_SECONDS", "120")),
        "LOGIN_DEVICE_DAYS": int(os.environ.get("LOGIN_DEVICE_DAYS", "180")),
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "30")),
        "SESSION_MAX_HOURS": int(os.environ.get("SESSION_MAX_HOURS", "12")),
        # Confirmations mailed to one address, however many inquiries name it.
        "INQUIRY_CONFIRMATION_LIMIT": os.environ.get("INQUIRY_CONFIRMATION_LIMIT", "3 per day"),
        "INQUIRY_MIN_SECONDS": float(os.environ.get("INQUIRY_MIN_SECONDS", "3")),
        # Room for a 10 MB document plus the rest of its form.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(11 * 1024 * 1024))),
        # Lead import: rows per file, rows run within the request (more: on the job queue's
        # worker), days an uploaded file is kept (then apply-retention removes it).
        "IMPORT_MAX_ROWS": int(os.environ.get("IMPORT_MAX_ROWS", "100000")),
        "IMPORT_INLINE_ROWS": int(os.environ.get("IMPORT_INLINE_ROWS", "5000")),
        "IMPORT_FILE_DAYS": int(os.environ.get("IMPORT_FILE_DAYS", "30")),
        # What reading one import file may cost (core/imports/limits.py): columns, characters
        # per cell (Excel's own limit) and in all, seconds (below gunicorn's 30 s timeout, so
        # the reader gives up with a message before the worker is killed), and for XLSX the
        # compression ratio of a part and the size of all parts unpacked.
        "IMPORT_MAX_COLUMNS": int(os.environ.get("IMPORT_MAX_COLUMNS", "500")),
        "IMPORT_MAX_CELL_CHARS": int(os.environ.get("IMPORT_MAX_CELL_CHARS", "32767")),
        "IMPORT_MAX_TABLE_CHARS": int(os.environ.get("IMPORT_MAX_TABLE_CHARS", "50000000")),
        "IMPORT_PARSE_SECONDS": float(os.environ.get("IMPORT_PARSE_SECONDS", "25")),
        "IMPORT_ZIP_RATIO": int(os.environ.get("IMPORT_ZIP_RATIO", "100")),
        "IMPORT_MAX_UNZIPPED_MB": int(os.environ.get("IMPORT_MAX_UNZIPPED_MB", "200")),
        # Enterprise portal sign-in links: asked for at the sign-in page, and sent as invitations.
        "PORTAL_LINK_MINUTES": int(os.environ.get("PORTAL_LINK_MINUTES", "20")),
        "PORTAL_INVITE_HOURS": int(os.environ.get("PORTAL_INVITE_HOURS", "72")),
        "PORTAL_RATE_LIMIT": os.environ.get("PORTAL_RATE_LIMIT", "5 per minute;20 per hour"),
        # Links asked for one address, whoever asks; portal sessions' idle and absolute limits.
        "PORTAL_ADDRESS_LIMIT": os.environ.get("PORTAL_ADDRESS_LIMIT", "3 per 15 minutes"),
        "PORTAL_IDLE_MINUTES": int(os.environ.get("PORTAL_IDLE_MINUTES", "60")),
        "PORTAL_MAX_HOURS": int(os.environ.get("PORTAL_MAX_HOURS", "12")),
        # Public pages that are the same for every visitor (site/rendering.py): seconds browsers
        # keep them, seconds shared caches (the nginx micro-cache) keep them, and seconds either
        # may go on answering with an expired copy while it fetches a fresh one in the background.
        "PUBLIC_MAX_AGE": int(os.environ.get("PUBLIC_MAX_AGE", "60")),
        "PUBLIC_S_MAXAGE": int(os.environ.get("PUBLIC_S_MAXAGE", "10")),
        "PUBLIC_STALE_SECONDS": int(os.environ.get("PUBLIC_STALE_SECONDS", "30")),
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # The __Host- prefix binds the cookie to this host and path; browsers need Secure for it.
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # Proxies in front that set X-Forwarded-For and -Proto; X-Forwarded-Host is believed only
        # when PROXY_FIX_HOST says the proxy sets it itself (a client could send one otherwise).
        "PROXY_FIX": int(os.environ.get("PROXY_FIX", "0")),
        "PROXY_FIX_HOST": int(os.environ.get("PROXY_FIX_HOST", "0")),
        # Logs (core/logs.py): JSON lines for journald in production, readable text otherwise.
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json" if production else "text"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        # /metrics (core/metrics.py) answers a bearer token or these addresses, else 404.
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
        "METRICS_ALLOW": [
            part.strip()
            for part in os.environ.get("METRICS_ALLOW", "127.0.0.1/32").split(",")
            if part.strip()
        ],
        # Error reports (core/observability: sentry-sdk, an optional package); off when empty.
        "SENTRY_DSN": os.environ.get("SENTRY_DSN", ""),
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
    }
    return cfg


def engine_options(uri: str) -> dict:
    """Per backend: SQLite waits for the writer's lock; server pools drop dead connections."""
    if uri.startswith("sqlite"):
        return {"connect_args": {"timeout": 15}}
    options = {"pool_pre_ping": True}
    if uri.startswith("postgresql+psycopg"):
        # psycopg prepares a statement run five times, and PostgreSQL may then plan it once for
        # any parameters: reports over a year of rows got nested loops meant for a few rows
        # (the dashboard's funnel took 1.6 times as long). Plan each statement for its values;
        # this also suits a transaction-pooling PgBouncer, which cannot keep prepared statements.
        options["connect_args"] = {"prepare_threshold": None}
    return options
