"""Gunicorn as a subprocess on a free loopback port, always stopped; plain GETs against it."""

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.settings import ROOT, HarnessError

HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


@dataclass(frozen=True)
class Server:
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes


def _port_range() -> range | None:
    raw = os.environ.get("LOOPBACK_PORTS", "")
    if not raw:
        return None
    low, _, high = raw.partition("-")
    return range(int(low), int(high or low) + 1)


def free_ports(count: int, taken: frozenset[int] = frozenset()) -> list[int]:
    """`count` ports nothing listens on: from LOOPBACK_PORTS when set, else the system's."""
    chosen: list[int] = []
    candidates = _port_range() or [0] * (count + 8)
    for candidate in candidates:
        if len(chosen) == count:
            break
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((HOST, candidate))
            except OSError:
                continue
            port = sock.getsockname()[1]
        if port not in taken and port not in chosen:
            chosen.append(port)
    if len(chosen) < count:
        raise HarnessError(f"no {count} free ports (LOOPBACK_PORTS={_port_range()})")
    return chosen


def free_port() -> int:
    return free_ports(1)[0]


def fetch(port: int, path: str, timeout: float = 10.0) -> Fetched:
    """One GET without following redirects, so a 302 is seen as a 302."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return Fetched(response.status, headers, body)
    finally:
        conn.close()


@contextmanager
def gunicorn(app: str, gunicorn_args: tuple[str, ...], env: dict, log: Path) -> Iterator[Server]:
    """Serve `app` (module:variable) and yield once it answers; stop it on any exit."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        *gunicorn_args,
        "--bind",
        f"{HOST}:{port}",
        "--error-logfile",
        "-",
        # Two servers must never fight over gunicorn's default control socket in ~/.gunicorn.
        "--no-control-socket",
        app,
    ]
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = Server(port, log)
    try:
        _wait_until_answering(process, server)
        yield server
    finally:
        _stop(process)


def _wait_until_answering(process: subprocess.Popen, server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise HarnessError(
                f"gunicorn exited with status {process.returncode} before serving:\n"
                + server.log_tail()
            )
        try:
            fetch(server.port, "/", timeout=2.0)
            return
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
    raise HarnessError(f"gunicorn did not answer in {START_TIMEOUT:.0f} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    except BaseException:
        # A second Ctrl-C while waiting must not leave the server behind.
        process.kill()
        process.wait()
        raise
