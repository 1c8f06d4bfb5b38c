"""A real IMAP server for tests: Dovecot from Debian on a free loopback port, with a throw-away
configuration, mail directory and one user (mailbox@… / secret).

Run alone to try mail in with `make run` (README, "Replies from investors"):
`sudo .venv/bin/python -m tests.mail_server` serves until Ctrl-C and prints the IMAP_* settings;
`.venv/bin/python -m tests.mail_server --port P --append reply.eml` puts a mail into its INBOX.

Use the `imap_server` fixture: it starts Dovecot once per test process (`dovecot -F -c
<tmp>/dovecot.conf`), gives each test an empty folder of its own, points the app's IMAP_* settings
at it, and `append(raw)` puts a message into that folder through IMAP APPEND. Without Dovecot the
tests skip, unless REQUIRE_DOVECOT=1 (CI) makes that a failure.
"""

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = "/usr/sbin/dovecot"
HOST = "127.0.0.1"
USER, PASSWORD = "mailbox", "secret"
# CI sets this: a machine without Dovecot must fail the run, not pass it with skips.
REQUIRE_DOVECOT = os.environ.get("REQUIRE_DOVECOT") == "1"


def dovecot_missing() -> str | None:
    if not Path(DOVECOT).exists():
        return f"{DOVECOT} not found (apt-get install dovecot-imapd)"
    if not Path("/usr/lib/dovecot/imap").exists():
        return "Dovecot's IMAP server is not installed (apt-get install dovecot-imapd)"
    try:
        pwd.getpwnam("dovecot"), pwd.getpwnam("dovenull")
    except KeyError:
        return "the dovecot and dovenull users are missing (Debian's dovecot-core creates them)"
    if os.geteuid() != 0:
        return "Dovecot's test server is started as root (it drops to the mail user itself)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _mail_user() -> pwd.struct_passwd:
    """Dovecot refuses root for its processes and mail: Debian's package brings these users."""
    return pwd.getpwnam("dovecot")


def _config(base: Path, port: int) -> str:
    mail = _mail_user()
    return f"""
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
protocols = imap
listen = {HOST}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:{base}/Maildir
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = static
  args = uid={mail.pw_uid} gid={mail.pw_gid} home={base}/home
}}
"""


def append(port: int, raw: bytes, folder: str = "INBOX") -> None:
    """Put a message into a folder through IMAP APPEND, as a mail server delivering it would."""
    with imaplib.IMAP4(HOST, port, timeout=10) as imap:
        imap.login(USER, PASSWORD)
        status, data = imap.append(folder, None, None, raw)
        if status != "OK":
            raise imaplib.IMAP4.error(f"APPEND refused: {data!r}")


class DovecotServer:
    def __init__(self, base: Path, port: int | None = None):
        self.base = base
        self.port = port or _free_port()
        mail = _mail_user()
        for folder in ("run", "state", "home", "Maildir"):
            (base / folder).mkdir(parents=True, exist_ok=True)
        for folder in ("home", "Maildir"):
            shutil.chown(base / folder, mail.pw_uid, mail.pw_gid)
        base.chmod(0o755)
        (base / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        self.config = base / "dovecot.conf"
        self.config.write_text(_config(base, self.port))
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (
                    (self.base / "dovecot.log").read_text()
                    if (self.base / "dovecot.log").exists()
                    else ""
                )
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()} {log}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not listen within 15 s")

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        append(self.port, raw, folder)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Mailbox:
    """One test's folder on the shared server: the fetcher reads it, append() delivers to it."""

    server: DovecotServer
    folder: str

    @property
    def port(self) -> int:
        return self.server.port

    def append(self, raw: bytes) -> None:
        append(self.server.port, raw, self.folder)


@pytest.fixture(scope="session")
def _dovecot():
    """One Dovecot per test process (starting and stopping one costs about a second)."""
    missing = dovecot_missing()
    if missing:
        if REQUIRE_DOVECOT:
            pytest.fail(f"REQUIRE_DOVECOT=1 but {missing}", pytrace=False)
        pytest.skip(missing)
    # Not under pytest's tmp_path: its parent is private to root, and Dovecot's processes run as
    # the dovecot user.
    base = Path(tempfile.mkdtemp(prefix="qingyuan-dovecot-"))
    server = DovecotServer(base)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def imap_server(app, _dovecot):
    """An empty folder of its own on a real Dovecot; the app's IMAP_* settings point at it."""
    folder = f"test-{uuid.uuid4().hex[:12]}"
    with imaplib.IMAP4(HOST, _dovecot.port, timeout=10) as imap:
        imap.login(USER, PASSWORD)
        status, data = imap.create(folder)
        assert status == "OK", data
    settings = {
        "IMAP_HOST": HOST,
        "IMAP_PORT": _dovecot.port,
        "IMAP_SSL": False,
        "IMAP_USER": USER,
        "IMAP_PASSWORD": PASSWORD,
        "IMAP_FOLDER": folder,
    }
    before = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    try:
        yield Mailbox(_dovecot, folder)
    finally:
        app.config.update(before)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="A throw-away Dovecot for trying mail in.")
    parser.add_argument("--port", type=int, default=1143)
    parser.add_argument("--append", metavar="FILE", help="put this .eml into a running server")
    args = parser.parse_args()
    if args.append:
        append(args.port, Path(args.append).read_bytes())
        return
    missing = dovecot_missing()
    if missing:
        raise SystemExit(missing)
    base = Path(tempfile.mkdtemp(prefix="qingyuan-dovecot-"))
    server = DovecotServer(base, args.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped like Ctrl-C: cleaned up
    print(
        f"IMAP_HOST={HOST} IMAP_PORT={server.port} IMAP_SSL=0 "
        f"IMAP_USER={USER} IMAP_PASSWORD={PASSWORD}\n(Ctrl-C stops it and removes {base})"
    )
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
