"""Public pages under gunicorn beside a bare Flask hello-world (same settings, same run):
req/s and p50/p99 latency per page as visitors get them (page cache on, warm) and as a cold
render (cache off), and the home page weight against its budget."""

import http.client
import os
import secrets
import sys
import tempfile
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from bench import load
from bench.database import demo_database
from bench.load import Load
from bench.report import Line, Row
from bench.server import HOST, Server, fetch, gunicorn
from bench.settings import Options

TARGETS = (
    ("home", "/en/"),
    ("land, filtered", "/de/land?zone=north&status=available"),
    ("plot page", "/fr/land/N-01"),
)
# CONVENTIONS §10 and issue #2: these reach at least half of the hello-world throughput.
HALF_OF_HELLO = ("home", "plot page")
TARGET_RATIO = 0.5
WEIGHT_PATH = "/en/"
WEIGHT_BUDGET = 100_000  # bytes of HTML, CSS and JS, uncompressed (1 KB = 1000 bytes)
TITLE = "Public pages"
# Hello-world rounds further apart than this mean the machine's load changed during the run.
DRIFT_TOLERANCE = 0.2
# This machine has seconds-long spells at a third of its speed, whatever runs (hello-world too):
# the baseline and the warm pages are measured in interleaved rounds and the median kept.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# Two per worker of the default gunicorn settings.
COLD_CONNECTIONS = 4


def run(options: Options) -> list[Row | Line]:
    tool = load.generator(options)
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        workdir = Path(tmp)
        env = app_env(workdir)
        with demo_database(options, workdir, env) as database:
            env["DATABASE_URL"] = database.url
            settings = options.gunicorn_args
            # The same app with its page cache off: what every page costs when it is rendered.
            cold_env = {**env, "PAGE_CACHE_SECONDS": "0"}
            with (
                gunicorn("bench.hello:app", settings, env, workdir / "hello.log") as hello,
                gunicorn("wsgi:app", settings, env, workdir / "app.log") as app,
                gunicorn("wsgi:app", settings, cold_env, workdir / "cold.log") as cold,
            ):
                # Rounds of hello-world then every page, so a slow spell of the machine hits
                # baseline and pages alike; each keeps its median round.
                hellos, rounds = [], []
                for _ in range(ROUNDS):
                    hellos.append(_load(hello, tool, "hello-world", "/", options))
                    rounds.append([_load(app, tool, t, path, options) for t, path in TARGETS])
                # Fewer connections for renders: they measure what a render costs, not how long
                # requests queue behind slow ones.
                one_each = replace(options, connections=min(options.connections, COLD_CONNECTIONS))
                renders = [
                    _load(cold, tool, f"{target} (cold render)", path, one_each)
                    for target, path in TARGETS
                ]
                weight = _weight_line(app.port)
    baseline_run = median_of(hellos)
    baseline = _mean_throughput(baseline_run)
    pages = [median_of([each[i] for each in rounds]) for i in range(len(TARGETS))]
    rows = [
        measured_row(f"hello-world (median of {ROUNDS})", "/", baseline_run, baseline),
        *(
            measured_row(f"{target} (median of {ROUNDS})", path, result, baseline)
            for (target, path), result in zip(TARGETS, pages, strict=True)
        ),
        *(
            measured_row(f"{target} (cold render)", path, result, baseline)
            for (target, path), result in zip(TARGETS, renders, strict=True)
        ),
    ]
    return [
        *rows,
        _target_line(rows),
        weight,
        *_drift_lines(hellos),
        Line("database", f"{database.label}, demo data loaded with `flask load-demo`"),
        Line("gunicorn", f"{options.gunicorn_settings} (the same for the app and hello-world)"),
        Line(
            "load",
            f"{load.generator_version(tool)}; {options.connections} connections; "
            f"{options.warmup:g} s warm-up, then {options.seconds:g} s per target",
        ),
        Line(
            "app",
            "APP_ENV=production with a random SECRET_KEY; rate limiting left on "
            "(it limits POSTs only, so GETs are unaffected); page cache at its default "
            "(PAGE_CACHE_SECONDS=10), and off (PAGE_CACHE_SECONDS=0) for the cold-render rows, "
            f"which use {COLD_CONNECTIONS} connections",
        ),
    ]


def app_env(workdir: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FLASK_", "TEST_")) and k != "PAGE_CACHE_SECONDS"
    }
    env.update(
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        INSTANCE_PATH=str(workdir / "instance"),
        # Production refuses to start without them; the cache bench's nginx asks for localhost.
        PUBLIC_BASE_URL="https://localhost",
        TRUSTED_HOSTS=f"localhost,{HOST}",
    )
    # The rest of what production requires (flask check-config), unless given: the pages measured
    # use none of it, and with no Redis listening the limiter counts in memory.
    for name, value in {
        "PUBLIC_BASE_URL": "https://invest.bench.example",
        "TRUSTED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "MAIL_SERVER": "localhost",
        "MAIL_DEFAULT_SENDER": "noreply@invest.bench.example",
    }.items():
        env.setdefault(name, value)
    return env


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _load(server: Server, tool: str, target: str, path: str, options: Options) -> Load | str:
    """Warm up, then measure; or say why the path could not be measured."""
    try:
        first = fetch(server.port, path)
    except (OSError, http.client.HTTPException) as exc:
        _say(f"!! {path} gave no answer ({exc}); server log ends with:\n{server.log_tail()}")
        return f"{path} gave no answer: not measured"
    if first.status != 200:
        log = f"; server log ends with:\n{server.log_tail()}" if first.status >= 500 else ""
        _say(f"!! {path} answers {first.status}{log}")
        return f"{path} answers {first.status}: not measured"
    _say(f"measuring {target} ({path}) …")
    load.measure(tool, server.port, path, options.warmup, options.connections)
    result = load.measure(tool, server.port, path, options.seconds, options.connections)
    if result.problem:
        _say(f"!! {path}: {result.problem}; server log ends with:\n{server.log_tail()}")
    return result


def _mean_throughput(*results: Load | str) -> float | None:
    valid = [r.per_second for r in results if isinstance(r, Load) and not r.problem]
    return sum(valid) / len(valid) if valid else None


def measured_row(target: str, path: str, result: Load | str, baseline: float | None) -> Row:
    """One target's table row; its ratio is to the baseline (hello-world, or nginx's ceiling)."""
    if isinstance(result, str):
        return Row(target, note=path, alarm=result)
    return Row(
        target,
        per_second=result.per_second,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        ratio=result.per_second / baseline if baseline else None,
        note=path,
        alarm=f"{path}: {result.problem}" if result.problem else "",
    )


def median_of(results: list[Load | str]) -> Load | str:
    """The round with the median throughput; a round that could not be measured wins."""
    failed = [r for r in results if not isinstance(r, Load) or r.problem]
    if failed:
        return failed[0]
    ranked = sorted(results, key=lambda r: r.per_second)
    return ranked[len(ranked) // 2]


def _drift_lines(hellos: list[Load | str]) -> list[Line]:
    rates = [r.per_second for r in hellos if isinstance(r, Load) and not r.problem]
    if len(rates) < 2 or not min(rates) or max(rates) / min(rates) <= 1 + DRIFT_TOLERANCE:
        return []
    shown = ", ".join(f"{rate:,.0f}" for rate in rates)
    return [
        Line(
            "baseline drift",
            f"hello-world rounds gave {shown} req/s: the machine's speed changed during the "
            "run; each row keeps its median round, which is what the ratios use",
        )
    ]


def _target_line(rows: list[Row]) -> Line:
    label = f"target: {' and '.join(HALF_OF_HELLO)} ≥ {TARGET_RATIO:.2f} × hello-world req/s"
    judged = [
        row
        for row in rows
        if row.target.split(" (")[0] in HALF_OF_HELLO and "cold render" not in row.target
    ]
    unmeasured = [row.target for row in judged if row.ratio is None or row.alarm]
    if unmeasured:
        return Line(label, "not judged: " + ", ".join(unmeasured) + " not validly measured")
    figures = ", ".join(f"{row.target.split(' (')[0]} {row.ratio:.2f}×" for row in judged)
    met = all(row.ratio >= TARGET_RATIO for row in judged)
    return Line(label, f"{figures}: {'met' if met else 'NOT met'}")


class _Assets(HTMLParser):
    """Collect the stylesheets and scripts a page references."""

    def __init__(self):
        super().__init__()
        self.css: list[str] = []
        self.js: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        rel = (attributes.get("rel") or "").lower().split()
        if tag == "link" and "stylesheet" in rel and attributes.get("href"):
            self.css.append(attributes["href"])
        elif tag == "script" and attributes.get("src"):
            self.js.append(attributes["src"])


def _weight_line(port: int) -> Line:
    label = f"home page weight ({WEIGHT_PATH}: HTML + CSS + JS, uncompressed)"
    page_url = f"http://{HOST}:{port}{WEIGHT_PATH}"
    page = fetch(port, WEIGHT_PATH)
    if page.status != 200:
        return Line(label, "not measured", alarm=f"{WEIGHT_PATH} answers {page.status}")
    assets = _Assets()
    assets.feed(page.body.decode("utf-8", errors="replace"))
    sizes = {"HTML": len(page.body), "CSS": 0, "JS": 0}
    problems = []
    for kind, refs in (("CSS", assets.css), ("JS", assets.js)):
        for ref in refs:
            url = urlsplit(urljoin(page_url, ref))
            if url.netloc != f"{HOST}:{port}":
                problems.append(f"{ref} is on another host")
                continue
            asset = fetch(port, url.path + (f"?{url.query}" if url.query else ""))
            if asset.status != 200:
                problems.append(f"{ref} answers {asset.status}")
            sizes[kind] += len(asset.body)
    total = sum(sizes.values())
    parts = ", ".join(f"{kind} {size / 1000:.1f} KB" for kind, size in sizes.items())
    counts = f"{len(assets.css)} stylesheet(s), {len(assets.js)} script(s)"
    verdict = "within budget" if total <= WEIGHT_BUDGET else "OVER budget"
    return Line(
        label,
        f"{total / 1000:.1f} KB of {WEIGHT_BUDGET / 1000:.0f} KB ({parts}; {counts}): {verdict}",
        alarm="; ".join(problems),
    )
