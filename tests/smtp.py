"""A real SMTP server for tests: aiosmtpd on a free local port, keeping every message it receives.

Use the `smtp_server` fixture (registered in tests/conftest.py): it starts the server and points
the app's MAIL_SERVER and MAIL_PORT at it. `SMTPServer` alone starts one later in a test, e.g.
after checking that mail stays queued while nothing listens.
"""

import socket
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        """The decoded text, with the wire's CRLF line ends made plain newlines."""
        return self.message.get_content().replace("\r\n", "\n")


class _Handler:
    def __init__(self, server: "SMTPServer"):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.server.refuse_with:
            return self.server.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.server.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class SMTPServer:
    """An SMTP server on localhost; set refuse_with (e.g. "550 No such user") to refuse mail."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.received: list[Received] = []
        self.refuse_with: str | None = None
        self._controller = Controller(_Handler(self), hostname=HOST, port=self.port)

    def start(self) -> "SMTPServer":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def point(self, app) -> None:
        """Make the app send its mail here."""
        app.config.update(MAIL_SERVER=HOST, MAIL_PORT=self.port, MAIL_USE_TLS=False)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def __enter__(self) -> "SMTPServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@pytest.fixture
def smtp_server(app):
    """A running SMTP server the app sends to; its messages are in smtp_server.received."""
    with SMTPServer() as server:
        server.point(app)
        yield server
