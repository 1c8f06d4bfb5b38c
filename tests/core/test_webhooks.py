"""WeCom group robots against a local HTTP server: a new inquiry and a reply are queued in their
transaction, posted by send-webhooks as the robot's JSON, retried with backoff when the robot
fails or answers an errcode, parked at the end; the team's own robot wins over the default."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from core import webhooks
from core.extensions import db
from core.models import Lead, Team, WebhookMessage
from core.outbox import MAX_ATTEMPTS
from tests.factories import make_lead
from tests.forms import open_form, send


class Robot:
    """A WeCom robot on loopback: records what it is sent, answers what the test says."""

    def __init__(self):
        self.received: list[tuple[str, dict]] = []
        self.answers: list[tuple[int, dict]] = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                robot.received.append((self.path, json.loads(self.rfile.read(length))))
                status, body = robot.answers.pop(0) if robot.answers else (200, {"errcode": 0})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, key: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key={key}"


@pytest.fixture
def robot():
    server = Robot()
    yield server
    server.server.shutdown()
    server.server.server_close()


def queued() -> list[WebhookMessage]:
    return db.session.scalars(select(WebhookMessage).order_by(WebhookMessage.id)).all()


def test_a_new_inquiry_reaches_the_default_robot_once(app, client, robot):
    app.config["WECOM_WEBHOOK_URL"] = robot.url("bureau")
    response = send(client, open_form(client, "de"), "de")
    assert response.status_code in (200, 302, 303)
    with app.app_context():
        [message] = queued()
        lead_id = db.session.scalar(select(Lead.id))
        assert message.kind == "new_inquiry" and message.lead_id == lead_id
        assert message.status == "queued" and robot.received == []  # the worker posts it
        assert webhooks.send_webhooks() == ["webhooks: 1 sent, 0 failed (retried later or parked)"]
        db.session.expire_all()
        assert queued()[0].status == "sent"
    [(path, body)] = robot.received
    assert path.endswith("key=bureau") and body["msgtype"] == "text"
    assert body["text"]["content"].startswith("新询盘：Schmidt Sensorik GmbH")
    assert f"/crm/leads/{lead_id}" in body["text"]["content"]
    assert "Anna" not in body["text"]["content"]  # no person's details to Tencent's servers
    with app.app_context():
        assert webhooks.send_due() == (0, 0)  # posted once


def test_the_teams_robot_wins_and_failures_are_retried_then_parked(app, robot):
    app.config["WECOM_WEBHOOK_URL"] = robot.url("bureau")
    with app.test_request_context():
        team = Team(name="Europe desk", wecom_webhook_url=robot.url("europe"))
        db.session.add(team)
        db.session.flush()
        lead = make_lead("Kessler Antriebe GmbH")
        lead.team_id = team.id
        webhooks.reply_received(lead)
        lead.confidential = True
        webhooks.reply_received(lead)
        db.session.commit()
        first, second = queued()
        assert first.url.endswith("key=europe")
        assert "Kessler" in first.text and "Kessler" not in second.text  # its code name instead
        # The robot refuses (rate limit as errcode, then a server error): retried later.
        robot.answers = [(200, {"errcode": 45009, "errmsg": "api freq out of limit"}), (502, {})]
        assert webhooks.send_due() == (0, 2)
        db.session.expire_all()
        first, second = queued()
        assert first.status == "queued" and "45009" in first.last_error
        assert first.next_attempt_at > first.created_at + timedelta(seconds=30)
        assert webhooks.send_due() == (0, 0)  # not due yet
        for message in queued():
            message.next_attempt_at = message.created_at
        db.session.commit()
        assert webhooks.send_due() == (2, 0)
        # A robot that never answers well: parked after the outbox's number of attempts.
        webhooks.reply_received(lead)
        db.session.commit()
        robot.answers = [(500, {})] * MAX_ATTEMPTS
        for _ in range(MAX_ATTEMPTS):
            last = queued()[-1]
            last.next_attempt_at = last.created_at
            db.session.commit()
            webhooks.send_due()
            db.session.expire_all()
        assert queued()[-1].status == "parked" and queued()[-1].attempts == MAX_ATTEMPTS
    assert len(robot.received) == 4 + MAX_ATTEMPTS


def test_without_a_robot_nothing_is_queued_and_the_job_is_registered(app):
    with app.test_request_context():
        lead = make_lead("Kessler Antriebe GmbH")
        assert webhooks.reply_received(lead) is None and queued() == []
    result = app.test_cli_runner().invoke(args=["send-webhooks"])
    assert result.exit_code == 0 and "webhooks: 0 sent" in result.output
