"""What a bench returns (rows of figures and lines of verdicts), the machine facts, the printed
table, and bench/RESULTS.md where each bench keeps its latest section."""

import os
import platform
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

# A 1-minute load above this before a run means something else is using the CPU.
BUSY_LOAD = 0.5
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = (
    "# Benchmark results\n\n"
    "Recorded by `make bench` (`python -m bench [name ...]`, `--pg` for PostgreSQL); each\n"
    "section is replaced when its bench runs again on the same database. Figures are only\n"
    "comparable within a section: every throughput sits beside a baseline measured in the same\n"
    "run on the same machine, and the load generator shares the machine's cores with the\n"
    "server. A load average flagged at the start, or a baseline drift line, means other work\n"
    "was running: the figures are then low and noisy.\n\n"
    "Pages are measured as visitors get them, with the page cache on (`site/page_cache.py`):\n"
    "after the first request each page comes from the cache of each worker, rendered again\n"
    "when its entry expires (every `PAGE_CACHE_SECONDS`, 10 s by default) or the plots change.\n"
    'These are warm-cache figures. The rows marked "cold render" come from a second app server\n'
    "with the cache off (`PAGE_CACHE_SECONDS=0`): what each page costs whenever it is rendered\n"
    "(a new filter combination, a change of plots). wrk sends no `If-None-Match` and no cookie,\n"
    "so every response is a full 200 (public pages set no cookie), never a 304.\n\n"
    "The cache bench (`python -m bench cache`) puts the shipped nginx site\n"
    "(`deploy/nginx/qingyuan.conf`, rendered for loopback by its `render.sh`, with a\n"
    "self-signed certificate) in front of the app under gunicorn. Its ceiling is nginx serving\n"
    "a 1 KB static file through the same TLS server block; its ratio column is × that ceiling\n"
    "(the target: cached pages ≥ 0.6 × and p99 under 5 ms). wrk speaks HTTP/1.1 with keep-alive\n"
    "over TLS 1.3 to nginx, plain HTTP to gunicorn.\n"
    "\n"
    "Gunicorn settings: `--workers 2 --worker-class sync` for the app and the baseline alike\n"
    "(override with `BENCH_GUNICORN`), as README advises for production. Until 2026-11-30 the\n"
    "bench ran `--worker-class gthread --threads 4`; under it, workers were killed by SIGSEGV\n"
    "(faulthandler: during garbage collection while several threads of one process rendered\n"
    "the land page), on SQLite and PostgreSQL, and never with sync workers. Measured the same\n"
    "day, 2 sync workers gave hello-world 5,100 req/s against 6,000-6,800 for gthread.\n"
    "\n"
    "The lead list at a million leads runs only when asked, on PostgreSQL:\n"
    '`make bench BENCH="--pg leads_million"` (`python -m bench --pg leads_million`). It loads\n'
    "the leads set-based (INSERT … SELECT over generate_series), builds the trigram index, then\n"
    "measures the targets of the 100,000-lead bench with 50 requests each (`BENCH_REQUESTS`;\n"
    "`BENCH_MILLION_LEADS` sets the size).\n"
)


@dataclass(frozen=True)
class Row:
    """One measured target; figures are None when it could not be measured."""

    target: str
    per_second: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    ratio: float | None = None
    note: str = ""
    # Non-empty when the figures must not be trusted (error responses, a page missing).
    alarm: str = ""


@dataclass(frozen=True)
class Line:
    """A verdict or a fact printed below the table (a target met, a page weight)."""

    label: str
    text: str
    alarm: str = ""


@dataclass
class Section:
    """One bench run: its rows and lines plus the facts needed to read them later."""

    name: str
    title: str
    items: list = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    # What the ratio column compares with (a bench module's RATIO_LABEL).
    ratio_label: str = "× hello"

    @property
    def alarms(self) -> list[str]:
        return [item.alarm for item in self.items if item.alarm]


def machine_facts() -> dict[str, str]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(len(os.sched_getaffinity(0))),
        "CPU": _cpuinfo_model(),
        "RAM": _mem_total(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": sys.version.split()[0],
        "gunicorn": _version("gunicorn"),
        "Flask": _version("flask"),
        "load average at start": _load_average(),
    }


def _load_average() -> str:
    """The 1/5/15-minute load, flagged when other work shares the cores the bench measures."""
    try:
        one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    except (OSError, ValueError):
        return "unknown"
    busy = float(one) > BUSY_LOAD
    return f"{one} {five} {fifteen}" + (
        " (other work was running: figures are low and noisy)" if busy else ""
    )


def _cpuinfo_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "unknown"


def _mem_total() -> str:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return "unknown"
    match = re.search(r"^MemTotal:\s*(\d+) kB", text, re.MULTILINE)
    return f"{int(match.group(1)) / 1024**2:.1f} GiB" if match else "unknown"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _figure(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def table(rows: list[Row], ratio_label: str = "× hello") -> list[list[str]]:
    head = ["target", "req/s", "p50 ms", "p99 ms", ratio_label, "note"]
    body = [
        [
            row.target,
            _figure(row.per_second, 0),
            _figure(row.p50_ms, 1),
            _figure(row.p99_ms, 1),
            "—" if row.ratio is None else f"{row.ratio:.2f}",
            ("!! " + row.alarm if row.alarm else row.note),
        ]
        for row in rows
    ]
    return [head, *body]


def render_text(section: Section) -> str:
    rows = [item for item in section.items if isinstance(item, Row)]
    cells = table(rows, section.ratio_label)
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    numeric = {1, 2, 3, 4}
    out = [f"== {section.title} =="]
    for n, cells_row in enumerate(cells):
        padded = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells_row, widths, strict=True))
        ]
        out.append("  ".join(padded).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    out.append("")
    for item in section.items:
        if isinstance(item, Line):
            out.append(f"{item.label}: {item.text}" + (f"  !! {item.alarm}" if item.alarm else ""))
    out.append("")
    out.extend(f"{key}: {value}" for key, value in section.facts.items())
    if section.alarms:
        out.append("")
        out.append("!" * 72)
        out.append("!! THIS RUN IS NOT VALID AS IT STANDS:")
        out.extend(f"!!   {alarm}" for alarm in section.alarms)
        out.append("!" * 72)
    return "\n".join(out)


def render_markdown(section: Section) -> str:
    rows = [item for item in section.items if isinstance(item, Row)]
    cells = table(rows, section.ratio_label)
    out = [f"## {section.title}", ""]
    if section.alarms:
        out.append("**Not a valid run:** " + "; ".join(section.alarms) + ".")
        out.append("")
    out.append("| " + " | ".join(cells[0]) + " |")
    out.append("|" + "|".join(["---", "---:", "---:", "---:", "---:", "---"]) + "|")
    out.extend("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in cells[1:])
    out.append("")
    out.extend(
        f"- **{item.label}**: {item.text}" + (f" **{item.alarm}**" if item.alarm else "")
        for item in section.items
        if isinstance(item, Line)
    )
    out.append("")
    out.append("| machine | |")
    out.append("|---|---|")
    out.extend(f"| {key} | {value} |" for key, value in section.facts.items())
    return "\n".join(out)


def record(section: Section, path: Path = RESULTS) -> None:
    """Replace this bench's section in RESULTS.md (or append it), keeping every other one."""
    begin, end = f"<!-- bench:{section.name} -->", f"<!-- /bench:{section.name} -->"
    block = f"{begin}\n{render_markdown(section)}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
