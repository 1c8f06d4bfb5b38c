"""The drill's HTTP client against real servers on 127.0.0.1: the app itself (cookies, CSRF,
multipart, redirects left unfollowed, the drill's own cases) and targets that fail or throttle."""

import socket
import threading
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.serving import make_server

from core import outbox
from core.events import load_events
from core.extensions import db, limiter
from core.models import Inquiry
from tests.drills.fuzz import (
    FUZZ,
    LANGS,
    Case,
    File,
    assert_no_traceback,
    fuzz_form,
    read_form,
    send,
)
from tests.drills.remote import RemoteClient, TargetFailed

FORM_PAGE = b'<form method="post" action="/form"><input name="company"></form>'


@contextmanager
def served(wsgi_app):
    """wsgi_app on a free port of 127.0.0.1 in a background thread; its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def target(app, monkeypatch, caplog):
    """The app served over HTTP, limits off and demo events loaded, as for the local drill."""
    monkeypatch.setattr(limiter, "enabled", False)
    # Mail sent from the server's thread draws on the global `random` (Message-ID, MIME
    # boundaries) while Hypothesis draws cases in this one, which Hypothesis reports as an error.
    monkeypatch.setattr(outbox, "hand_to_worker", lambda ids: None)
    with app.app_context():
        load_events()
    with served(app) as url:
        yield url
    assert_no_traceback(caplog)


def inquiry_form(client, lang: str = "en") -> list:
    page = client.get(f"/{lang}/inquiry")
    assert page.status_code == 200
    fields, _files = read_form(page.get_data(as_text=True), f"/{lang}/inquiry", f"/{lang}/inquiry")
    return fields


def test_csrf_token_is_accepted_with_its_session_cookie_and_the_redirect_not_followed(app, target):
    visitor = RemoteClient(target)
    fields = inquiry_form(visitor)
    # The same fields from someone without the visitor's session cookie: the token is refused.
    refused = send(RemoteClient(target), "POST", "/en/inquiry", Case(fields, "urlencoded"))
    assert refused.status_code == 400

    accepted = send(visitor, "POST", "/en/inquiry", Case(fields, "urlencoded"))
    assert accepted.status_code == 303
    assert accepted.headers["Location"].endswith("/en/inquiry/thanks")
    with app.app_context():
        assert len(db.session.scalars(select(Inquiry)).all()) == 1


def test_multipart_with_a_file_arrives_whole(app, target):
    visitor = RemoteClient(target)
    message = "一家传感器工厂，需要三十亩地。"
    fields = [(n, message if n == "message" else v) for n, v in inquiry_form(visitor, "zh")]
    card = ("card", File(b"PK\x03\x04\xff\x00", "名片.jpg"))
    response = send(visitor, "POST", "/zh/inquiry", Case([*fields, card], "multipart"))
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Inquiry.message)) == message


def test_a_file_where_text_belongs_is_refused_with_a_message(app, target):
    visitor = RemoteClient(target)
    fields = [
        (n, File(b"\xff" * 40, "x.csv") if n == "company" else v) for n, v in inquiry_form(visitor)
    ]
    response = send(visitor, "POST", "/en/inquiry", Case(fields, "multipart"))
    assert response.status_code == 422
    assert response.get_data(as_text=True).count('aria-invalid="true"') == 1


def test_language_negotiation_answers_302_and_stays_there(target):
    response = RemoteClient(target).get("/", headers={"Accept-Language": "de"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/de/")


def test_the_drill_runs_over_http(target):
    @settings(FUZZ, max_examples=15)
    @given(data=st.data(), lang=LANGS)
    def drill(data, lang):
        fuzz_form(RemoteClient(target), data, f"/{lang}/inquiry", f"/{lang}/inquiry")

    drill()


def failing_app(environ, start_response):
    """A target whose form page works and whose form always breaks."""
    broken = environ["REQUEST_METHOD"] == "POST"
    start_response(
        "500 Internal Server Error" if broken else "200 OK", [("Content-Type", "text/html")]
    )
    return [b"" if broken else FORM_PAGE]


def test_a_target_answering_500_fails_the_drill():
    @settings(FUZZ, max_examples=5)
    @given(data=st.data())
    def drill(data):
        fuzz_form(RemoteClient(url), data, "/form", "/form")

    with served(failing_app) as url, pytest.raises(TargetFailed, match="POST .*/form answered 500"):
        drill()


def test_a_target_that_does_not_answer_fails_the_drill():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never accepts
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(TargetFailed, match="had no answer"):
            RemoteClient(url, timeout=0.5).get("/en/inquiry")


def throttling_app(answers: list[int]):
    """A target answering the given statuses in turn, echoing the Referer it was sent."""

    def wsgi(environ, start_response):
        status = answers.pop(0) if answers else 200
        start_response(f"{status} Whatever", [("Content-Type", "text/plain")])
        return [environ.get("HTTP_REFERER", "").encode()]

    return wsgi


def test_a_few_429s_are_waited_out_and_the_referer_is_the_page_visited():
    with served(throttling_app([429, 429])) as url:
        visitor = RemoteClient(url, pause=0)
        assert visitor.get("/en/inquiry?plot=N-01").status_code == 200
        answer = visitor.post("/en/inquiry", data={"company": "x"})
        assert answer.get_data(as_text=True) == f"{url}/en/inquiry"


def test_a_target_that_keeps_answering_429_skips_the_drill():
    with served(throttling_app([429] * 5)) as url:
        visitor = RemoteClient(url, pause=0)
        with pytest.raises(pytest.skip.Exception, match="the target's rate limits are on"):
            visitor.get("/en/inquiry")
