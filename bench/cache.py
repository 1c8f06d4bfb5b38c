"""Public pages through the shipped nginx micro-cache against nginx's own static-file ceiling."""

# In one run: a 1 KB static file over the nginx site's TLS (the ceiling), hello-world, home and plot
# page straight from gunicorn, and the same pages through nginx: req/s, p99, ratio to the ceiling.
import http.client
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import load
from bench.database import demo_database
from bench.load import Load
from bench.nginx import loopback_nginx
from bench.pages import ROUNDS, app_env, measured_row, median_of
from bench.report import Line, Row
from bench.server import HOST, gunicorn
from bench.settings import ROOT, Options

TITLE = "Public pages through nginx's micro-cache"
RATIO_LABEL = "× static"
STATIC_FILE = "bench-1k.txt"
# The plot page's own bytes as a static file: what nginx does with that many bytes, uncached.
PLOT_COPY = "bench-plot.html"
# The target for pages served from the micro-cache.
TARGET_RATIO = 0.6
TARGET_P99_MS = 5.0
PAGES = (("home", "/en/"), ("plot page", "/fr/land/N-01"))
# What browsers send: nginx keeps a compressed copy for them (deploy/nginx: compressed once).
BROWSER = {"Accept-Encoding": "gzip, deflate, br"}


def run(options: Options) -> list[Row | Line]:
    tool = load.generator(options)
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        workdir = Path(tmp)
        # nginx sets X-Forwarded-* itself: one trusted hop, as deploy/nginx/qingyuan.conf asks.
        env = {**app_env(workdir), "PROXY_FIX": "1", "PROXY_FIX_HOST": "1"}
        app_root = _app_root(workdir)
        with demo_database(options, workdir, env) as database:
            env["DATABASE_URL"] = database.url
            settings = options.gunicorn_args
            with (
                gunicorn("bench.hello:app", settings, env, workdir / "hello.log") as hello,
                gunicorn("wsgi:app", settings, env, workdir / "app.log") as app,
                loopback_nginx(workdir / "nginx", f"{HOST}:{app.port}", app_root) as nginx,
            ):
                direct = f"http://{HOST}:{app.port}"
                _copy_plot_page(direct, app_root)
                plain: dict[str, str] = {}
                targets = [
                    (
                        "nginx static 1 KB (ceiling)",
                        nginx.origin,
                        f"/static/site/{STATIC_FILE}",
                        plain,
                    ),
                    (
                        "nginx static, the plot page's bytes",
                        nginx.origin,
                        f"/static/site/{PLOT_COPY}",
                        plain,
                    ),
                    ("hello-world, gunicorn", f"http://{HOST}:{hello.port}", "/", plain),
                    *((f"{name}, gunicorn", direct, path, plain) for name, path in PAGES),
                    *((f"{name}, nginx cache", nginx.origin, path, plain) for name, path in PAGES),
                    *(
                        (f"{name}, nginx cache, gzip", nginx.origin, path, BROWSER)
                        for name, path in PAGES
                    ),
                ]
                # Rounds of every target, so a slow spell of the machine hits them all alike.
                rounds = [
                    [_load(tool, *target, options) for target in targets] for _ in range(ROUNDS)
                ]
                statuses = _cache_statuses(nginx.origin)
    results = [median_of([each[i] for each in rounds]) for i in range(len(targets))]
    ceiling = results[0].per_second if isinstance(results[0], Load) else None
    rows = [
        measured_row(f"{target} (median of {ROUNDS})", path, result, ceiling)
        for (target, _, path, _), result in zip(targets, results, strict=True)
    ]
    return [
        *rows,
        _target_line(rows),
        _bytes_line(rows),
        Line("cache status", statuses),
        Line("database", f"{database.label}, demo data loaded with `flask load-demo`"),
        Line("gunicorn", f"{options.gunicorn_settings} (the same for the app and hello-world)"),
        Line(
            "nginx",
            "deploy/nginx/qingyuan.conf rendered for loopback by its render.sh (TLS 1.3, "
            "HTTP/1.1 keep-alive from the load generator), worker_processes auto; the static "
            "file and the cached pages go through the same TLS server block; the gzip rows send "
            f"a browser's Accept-Encoding ({BROWSER['Accept-Encoding']}) and get the copy "
            "nginx compressed once and kept",
        ),
        Line(
            "load",
            f"{load.generator_version(tool)}; {options.connections} connections; "
            f"{options.warmup:g} s warm-up, then {options.seconds:g} s per target",
        ),
        Line(
            "app",
            "APP_ENV=production, PROXY_FIX=1; page cache at its default (PAGE_CACHE_SECONDS=10); "
            "public pages at their default Cache-Control (s-maxage=10, so nginx refreshes each "
            "page in the background every 10 s of the run)",
        ),
    ]


def _app_root(workdir: Path) -> Path:
    """The app's static folders as nginx sees them, plus the 1 KB file of the ceiling."""
    root = workdir / "approot"
    shutil.copytree(ROOT / "site" / "static", root / "site" / "static")
    (root / "site" / "static" / STATIC_FILE).write_bytes(b"x" * 1023 + b"\n")
    (root / "crm").symlink_to(ROOT / "crm")
    return root


def _copy_plot_page(direct: str, app_root: Path) -> None:
    conn = load.connection(direct)
    try:
        conn.request("GET", dict(PAGES)["plot page"])
        body = conn.getresponse().read()
    finally:
        conn.close()
    (app_root / "site" / "static" / PLOT_COPY).write_bytes(body)


def _fetch(origin: str, path: str, headers: dict | None = None) -> tuple[int, dict[str, str]]:
    conn = load.connection(origin)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _load(
    tool: str, target: str, origin: str, path: str, headers: dict, options: Options
) -> Load | str:
    try:
        status, _ = _fetch(origin, path, headers)
    except (OSError, http.client.HTTPException) as exc:
        return f"{origin}{path} gave no answer ({exc}): not measured"
    if status != 200:
        return f"{origin}{path} answers {status}: not measured"
    _say(f"measuring {target} ({origin}{path}) …")
    load.measure(tool, 0, path, options.warmup, options.connections, origin, headers)
    return load.measure(tool, 0, path, options.seconds, options.connections, origin, headers)


def _target_line(rows: list[Row]) -> Line:
    label = (
        f"target: cached pages ≥ {TARGET_RATIO:.1f} × the static ceiling, "
        f"p99 < {TARGET_P99_MS:g} ms"
    )
    # Judged as the issue measured them: plain, against a plain static file.
    cached = [row for row in rows if "nginx cache (" in row.target]
    if any(row.ratio is None or row.alarm for row in [rows[0], *cached]):
        return Line(label, "not judged: a target was not validly measured")
    figures = ", ".join(
        f"{row.target.split(',')[0]} {row.ratio:.2f}× p99 {row.p99_ms:.1f} ms" for row in cached
    )
    met = all(row.ratio >= TARGET_RATIO and row.p99_ms < TARGET_P99_MS for row in cached)
    return Line(label, f"{figures}: {'met' if met else 'NOT met'}")


def _bytes_line(rows: list[Row]) -> Line:
    """The plot page is 20+ KB against the ceiling's 1 KB: how it fares against its own bytes."""
    label = "plot page through the cache ÷ the same bytes as a static file"
    static = next(row for row in rows if "plot page's bytes" in row.target)
    cached = next(row for row in rows if row.target.startswith("plot page, nginx cache ("))
    if not static.per_second or not cached.per_second:
        return Line(label, "not measured")
    return Line(label, f"{cached.per_second / static.per_second:.2f}")


def _cache_statuses(origin: str) -> str:
    """What nginx says about each page after the run (HIT: served from the cache). The first
    request may find the entry expired (STALE: answered while nginx refreshes it)."""
    seen = []
    for name, path in PAGES:
        statuses = []
        for _ in range(2):
            statuses.append(_fetch(origin, path)[1].get("x-cache-status", "none"))
            time.sleep(0.2)
        seen.append(f"{name} {' then '.join(statuses)}")
    return ", ".join(seen) + " (X-Cache-Status of two requests after the run)"
