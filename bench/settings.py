"""Bench options from the command line and BENCH_* environment variables, shared by every bench."""

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Two sync workers for two cores, as README advises for production: threaded workers crashed
# (SIGSEGV during garbage collection under concurrent land-page renders; see RESULTS.md).
DEFAULT_GUNICORN = "--workers 2 --worker-class sync"
DEFAULT_PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


class HarnessError(RuntimeError):
    """The harness itself failed (a server did not start, a tool broke): exit non-zero."""


def _positive(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise HarnessError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise HarnessError(f"{name} must be positive, got {raw!r}")
    return value


@dataclass(frozen=True)
class Options:
    seconds: float = 10.0
    warmup: float = 3.0
    connections: int = 16
    gunicorn_args: tuple[str, ...] = field(default_factory=lambda: tuple(DEFAULT_GUNICORN.split()))
    # python forces the built-in load generator even where wrk is installed.
    loadgen: str = "auto"
    # A database used as given (migrated and loaded, never dropped), or None for a fresh one.
    database_url: str | None = None
    # Create and drop a PostgreSQL database on this server instead of a temporary SQLite file.
    pg_server: str | None = None

    @property
    def gunicorn_settings(self) -> str:
        return " ".join(self.gunicorn_args)


def from_env(pg: bool) -> Options:
    loadgen = os.environ.get("BENCH_LOADGEN", "auto")
    if loadgen not in {"auto", "wrk", "python"}:
        raise HarnessError(f"BENCH_LOADGEN must be auto, wrk or python, got {loadgen!r}")
    return Options(
        seconds=_positive("BENCH_SECONDS", 10.0),
        warmup=_positive("BENCH_WARMUP", 3.0),
        connections=int(_positive("BENCH_CONNECTIONS", 16)),
        gunicorn_args=tuple(shlex.split(os.environ.get("BENCH_GUNICORN", DEFAULT_GUNICORN))),
        loadgen=loadgen,
        database_url=os.environ.get("BENCH_DATABASE_URL") or None,
        pg_server=os.environ.get("BENCH_PG_SERVER", DEFAULT_PG_SERVER) if pg else None,
    )
