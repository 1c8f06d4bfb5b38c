"""Load generation against one URL: wrk when installed, else a Python keep-alive client.

Both report throughput, p50/p99 latency and how many responses were not 200, so a run that
measured fast error pages cannot pass for a good one."""

import http.client
import json
import math
import os
import shutil
import ssl
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass

from bench.server import HOST
from bench.settings import HarnessError, Options

# wrk calls response() for every reply, so statuses other than 200 (3xx included, which wrk's
# own count leaves out) are counted per thread and summed in done().
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not_200 = 0 end
function response(status, headers, body)
  if status ~= 200 then not_200 = not_200 + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("not_200") end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "duration_us": %d, "p50_us": %.0f, "p99_us": %.0f, '
    .. '"not_200": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    bad, e.connect + e.read + e.write + e.timeout))
end
"""
MARKER = "BENCH-RESULT "
# Two wrk threads keep 16 connections busy while leaving the cores to the server under test.
WRK_THREADS = 2


@dataclass(frozen=True)
class Load:
    tool: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    not_200: int
    socket_errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def problem(self) -> str:
        """Why these figures are not of good pages, or "" when every response was a 200."""
        if not self.requests:
            return "no response at all"
        parts = []
        if self.not_200:
            parts.append(f"{self.not_200} of {self.requests} responses were not 200")
        if self.socket_errors:
            parts.append(f"{self.socket_errors} connection errors or timeouts")
        return "; ".join(parts)


def generator(options: Options) -> str:
    """The load generator this run uses: wrk or python."""
    have_wrk = shutil.which("wrk") is not None
    if options.loadgen == "wrk" and not have_wrk:
        raise HarnessError("BENCH_LOADGEN=wrk but wrk is not installed (apt-get install wrk)")
    if options.loadgen == "python" or not have_wrk:
        return "python"
    return "wrk"


def generator_version(tool: str) -> str:
    if tool != "wrk":
        return (
            "built-in Python client, as wrk is not in use (http.client keep-alive, one process "
            "per core; it saturates before hello-world does, so ratios read high)"
        )
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    first = (done.stdout or done.stderr).splitlines()
    name = first[0].split(" Copyright")[0] if first else "wrk"
    return f"{name}, {WRK_THREADS} threads"


def measure(
    tool: str,
    port: int,
    path: str,
    seconds: float,
    connections: int,
    origin: str = "",
    headers: dict[str, str] | None = None,
) -> Load:
    """Load `path` on 127.0.0.1:port, or at `origin` (e.g. https://localhost:5651) when given,
    sending `headers` with every request."""
    origin = origin or f"http://{HOST}:{port}"
    headers = headers or {}
    if tool == "wrk":
        return _wrk(origin, path, seconds, connections, headers)
    return _python(origin, path, seconds, connections, headers)


def _wrk(origin: str, path: str, seconds: float, connections: int, headers: dict) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        command = [
            "wrk",
            f"--threads={min(WRK_THREADS, connections)}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            "--timeout=10s",
            f"--script={script.name}",
            *(f"--header={name}: {value}" for name, value in headers.items()),
            f"{origin}{path}",
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            figures = json.loads(line.removeprefix(MARKER))
            return Load(
                tool="wrk",
                requests=figures["requests"],
                seconds=figures["duration_us"] / 1e6,
                p50_ms=figures["p50_us"] / 1000,
                p99_ms=figures["p99_us"] / 1000,
                not_200=figures["not_200"],
                socket_errors=figures["socket_errors"],
            )
    raise HarnessError(f"wrk gave no result (exit {done.returncode}):\n{done.stdout}{done.stderr}")


def _python(origin: str, path: str, seconds: float, connections: int, headers: dict) -> Load:
    processes = max(1, min(os.cpu_count() or 1, connections))
    shares = [connections // processes + (i < connections % processes) for i in range(processes)]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        parts = list(
            pool.map(
                _client_process,
                [origin] * processes,
                [path] * processes,
                shares,
                [seconds] * processes,
                [headers] * processes,
            )
        )
    latencies = sorted(lat for part in parts for lat in part[0])
    return Load(
        tool="python",
        requests=len(latencies),
        seconds=max(part[3] for part in parts),
        p50_ms=_percentile(latencies, 50) * 1000,
        p99_ms=_percentile(latencies, 99) * 1000,
        not_200=sum(part[1] for part in parts),
        socket_errors=sum(part[2] for part in parts),
    )


def _percentile(ordered: list[float], percent: float) -> float:
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def _client_process(origin: str, path: str, connections: int, seconds: float, headers: dict):
    """Keep `connections` clients busy until the deadline; return latencies and failures."""
    started = time.perf_counter()
    deadline = started + seconds
    with ThreadPoolExecutor(max_workers=connections) as pool:
        clients = list(
            pool.map(lambda _: _client(origin, path, deadline, headers), range(connections))
        )
    elapsed = time.perf_counter() - started
    latencies = [lat for client in clients for lat in client[0]]
    return (
        latencies,
        sum(client[1] for client in clients),
        sum(client[2] for client in clients),
        elapsed,
    )


def connection(origin: str, timeout: float = 10) -> http.client.HTTPConnection:
    """A keep-alive connection to an http or https origin (a self-signed certificate is fine)."""
    scheme, _, netloc = origin.partition("://")
    host, _, port = netloc.partition(":")
    if scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(host, int(port), timeout=timeout, context=context)
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


def _client(origin: str, path: str, deadline: float, headers: dict) -> tuple[list[float], int, int]:
    latencies: list[float] = []
    not_200 = errors = 0
    conn = connection(origin)
    while (start := time.perf_counter()) < deadline:
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()  # http.client reconnects on the next request
            continue
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            not_200 += 1
    conn.close()
    return latencies, not_200, errors
