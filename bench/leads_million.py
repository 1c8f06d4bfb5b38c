"""The lead list at a million leads on PostgreSQL (opt-in: `python -m bench --pg leads_million`,
some ten minutes): the leads bench's targets on leads written set-based by the database."""

import os

from bench.leads import WARMUP, measure_at
from bench.report import Row
from bench.settings import Options

LEADS = int(os.environ.get("BENCH_MILLION_LEADS", "1000000"))
# Fewer requests than at 100k: a scan-bound target would otherwise take minutes on its own.
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50"))
TITLE = f"Lead list at {LEADS:,} leads, in-process server time"


def run(options: Options) -> list:
    if not options.pg_server or options.database_url:
        return [
            Row("lead list at a million leads", alarm="not measured: PostgreSQL only, in a "
                "database made for the run (python -m bench --pg leads_million)"),
        ]  # fmt: skip
    return measure_at(options, LEADS, REQUESTS, WARMUP // 4, set_based=True)
