"""`python -m bench [name ...] [--pg] [--no-record]`: run benches, print them, record RESULTS.md."""

import argparse
import importlib
import signal
import sys

from bench import BENCHES, OPT_IN
from bench.database import backend
from bench.report import Section, machine_facts, record, render_text
from bench.settings import HarnessError, from_env

ENVIRONMENT_HELP = """environment:
  BENCH_SECONDS      measured seconds per target (default 10)
  BENCH_WARMUP       warm-up seconds per target, not measured (default 3)
  BENCH_CONNECTIONS  concurrent keep-alive connections (default 16)
  BENCH_GUNICORN     gunicorn worker settings for the app and its baseline alike
                     (default "--workers 2 --worker-class sync")
  BENCH_LOADGEN      auto (wrk when installed), wrk, or python
  BENCH_DATABASE_URL use this database as it is (migrated, demo loaded, never dropped)
  BENCH_PG_SERVER    server where --pg creates and drops its database
                     (default postgresql://postgres@127.0.0.1:5432/postgres)
  LOOPBACK_PORTS     take the servers' ports (gunicorn, nginx) from this range,
                     e.g. 5650-5699 (default: any free port)
"""


def _interrupt(signum, frame):
    # SIGTERM takes the same path as Ctrl-C, so every server and database is cleaned up.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run the benchmarks and record their figures in bench/RESULTS.md.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="name",
        help=f"any of: {', '.join(BENCHES + OPT_IN)} ({', '.join(OPT_IN)} only when named)",
    )
    parser.add_argument(
        "--pg", action="store_true", help="run against a PostgreSQL database made for the run"
    )
    parser.add_argument(
        "--no-record", action="store_true", help="print only; leave bench/RESULTS.md alone"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHES + OPT_IN]
    if unknown:
        choices = ", ".join(BENCHES + OPT_IN)
        parser.error(f"unknown bench: {', '.join(unknown)} (choose from {choices})")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        options = from_env(args.pg)
        kind, database = backend(options)
        for name in args.names or BENCHES:
            module = importlib.import_module(f"bench.{name}")
            facts = machine_facts()  # before the run, so the load average is not our own
            items = module.run(options)
            section = Section(
                name=f"{name}-{kind}",
                title=f"{getattr(module, 'TITLE', name)} ({database})",
                items=items,
                facts=facts,
                ratio_label=getattr(module, "RATIO_LABEL", "× hello"),
            )
            print(render_text(section), flush=True)
            if not args.no_record:
                record(section)
    except HarnessError as exc:
        print(f"bench: the harness failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
