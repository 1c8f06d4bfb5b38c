"""The shipped nginx site (deploy/nginx/) on loopback, for the cache bench and tests/deploy."""

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.server import HOST, free_ports
from bench.settings import ROOT, HarnessError

# Rendered with its own render.sh, a self-signed certificate, started as our own process (never the
# system service) and always stopped. LOOPBACK_PORTS=5650-5699 makes it take free ports from that
# range, as every server the benches start (bench/server.py); unset, the system picks them.
RENDER = ROOT / "deploy" / "nginx" / "render.sh"
SERVER_NAME = "localhost"
START_TIMEOUT = 15.0

# As Debian's /etc/nginx/nginx.conf, with every path inside our folder: the site is included in
# the same http block as there, so a directive it repeats from Debian's file fails here too.
MAIN_CONF = """{user}
worker_processes {workers};
pid {folder}/nginx.pid;
error_log {folder}/error.log;
daemon off;
events {{
    worker_connections 1024;
}}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    access_log {folder}/access.log;
    gzip on;
    client_body_temp_path {folder}/tmp/body;
    proxy_temp_path {folder}/tmp/proxy;
    fastcgi_temp_path {folder}/tmp/fastcgi;
    uwsgi_temp_path {folder}/tmp/uwsgi;
    scgi_temp_path {folder}/tmp/scgi;
    include {folder}/qingyuan.conf;
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost, valid a day (what a test or bench run needs)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "1", "-subj", f"/CN={SERVER_NAME}",
        "-addext", f"subjectAltName=DNS:{SERVER_NAME}",
        "-keyout", str(key), "-out", str(cert),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise HarnessError(f"openssl could not make a certificate:\n{done.stderr}")
    return cert, key


@dataclass(frozen=True)
class Nginx:
    http_port: int
    https_port: int
    folder: Path
    cert: Path

    @property
    def origin(self) -> str:
        return f"https://{SERVER_NAME}:{self.https_port}"

    @property
    def site_conf(self) -> Path:
        return self.folder / "qingyuan.conf"

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = (self.folder / "error.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def render(folder: Path, upstream: str, app_root: Path, ports: list[int], cert: Path, key: Path):
    """deploy/nginx/qingyuan.conf filled by its own render.sh, plus a main file around it."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SERVER_NAME": SERVER_NAME,
        "TLS_CERT": str(cert),
        "TLS_KEY": str(key),
        "APP_ROOT": str(app_root),
        "UPSTREAM": upstream,
        "CACHE_DIR": str(folder / "cache"),
        "LOG_DIR": str(folder),
        "HTTP_LISTEN": f"{HOST}:{ports[0]}",
        "HTTPS_LISTEN": f"{HOST}:{ports[1]}",
        "ACME_ROOT": str(folder / "acme"),
    }
    done = subprocess.run(["sh", str(RENDER)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise HarnessError(f"deploy/nginx/render.sh failed:\n{done.stderr}")
    (folder / "qingyuan.conf").write_text(done.stdout, encoding="utf-8")
    (folder / "tmp").mkdir(exist_ok=True)
    # Run as root (CI, containers), the workers would become "nobody", which cannot write here.
    user = "user root;" if os.geteuid() == 0 else ""
    workers = os.environ.get("NGINX_WORKERS", "auto")
    main = MAIN_CONF.format(user=user, workers=workers, folder=folder)
    (folder / "nginx.conf").write_text(main, encoding="utf-8")


def _command(binary: str, folder: Path, *extra: str) -> list[str]:
    return [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", "stderr", *extra]


def check(binary: str, folder: Path) -> subprocess.CompletedProcess:
    """`nginx -t` on the rendered files."""
    return subprocess.run(_command(binary, folder, "-t"), capture_output=True, text=True)


@contextmanager
def loopback_nginx(folder: Path, upstream: str, app_root: Path = ROOT) -> Iterator[Nginx]:
    """nginx with the shipped site in front of `upstream`; yields once it answers."""
    binary = nginx_binary()
    if binary is None:
        raise HarnessError("nginx is not installed (apt-get install nginx)")
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = self_signed(folder)
    ports = free_ports(2, frozenset({int(upstream.rpartition(":")[2])}))
    render(folder, upstream, app_root, ports, cert, key)
    tested = check(binary, folder)
    if tested.returncode != 0:
        raise HarnessError(f"nginx -t refused the rendered site:\n{tested.stderr}")
    with (folder / "nginx.out").open("ab") as out:
        process = subprocess.Popen(_command(binary, folder), stdout=out, stderr=subprocess.STDOUT)
    server = Nginx(ports[0], ports[1], folder, cert)
    try:
        _wait(process, server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(process: subprocess.Popen, server: Nginx) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = (server.folder / "nginx.out").read_text(errors="replace")
            raise HarnessError(f"nginx exited with status {process.returncode}:\n{out}")
        try:
            socket.create_connection((HOST, server.https_port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise HarnessError(f"nginx did not listen in {START_TIMEOUT:.0f} s:\n{server.log_tail()}")
