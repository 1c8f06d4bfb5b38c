"""The drill's HTTP client for a deployed instance: the test client's surface over the network.

A visitor as a browser is one: a cookie jar (the CSRF token is bound to the session cookie),
the page it came from as Referer (Flask-WTF checks it over HTTPS), redirects answered but not
followed. An answer of 5xx, or none at all, fails the drill; a target that keeps answering
429 has its rate limits on, and the drill is skipped rather than run against the limiter.
"""

import http.client
import time
from email.message import Message
from http.cookiejar import CookieJar
from urllib.parse import urlsplit
from urllib.request import HTTPCookieProcessor, HTTPErrorProcessor, Request, build_opener

import pytest
from werkzeug.test import EnvironBuilder


class TargetFailed(AssertionError):
    """The target answered 5xx, reset the connection or did not answer in time."""


class _EveryAnswer(HTTPErrorProcessor):
    """Every status is an answer to look at: no HTTPError, and so no redirect followed."""

    def http_response(self, request, response):
        return response

    https_response = http_response


class RemoteResponse:
    def __init__(self, status_code: int, headers: Message, data: bytes):
        self.status_code, self.headers, self.data = status_code, headers, data

    def get_data(self, as_text: bool = False):
        return self.data.decode("utf-8", "replace") if as_text else self.data


class RemoteClient:
    """One visitor of the instance at base_url, asking as Flask's test client is asked."""

    def __init__(self, base_url: str, *, timeout=30.0, throttled_tries=5, pause=1.0):
        self.base_url = base_url.rstrip("/")
        self.timeout, self.throttled_tries, self.pause = timeout, throttled_tries, pause
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _EveryAnswer())
        self.page = self.base_url + "/"

    def get(self, path: str, **kwargs) -> RemoteResponse:
        return self.open(path, method="GET", **kwargs)

    def post(self, path: str, **kwargs) -> RemoteResponse:
        return self.open(path, method="POST", **kwargs)

    def open(self, path: str, method="GET", data=None, content_type=None, headers=None):
        body, kind = _body(method, data, content_type)
        url = self.base_url + path  # as given: ".." and "//" reach the target unresolved
        sent = {"Referer": self.page, **({"Content-Type": kind} if kind else {})}
        sent.update(headers or {})
        for _ in range(self.throttled_tries):
            response = self._ask(Request(url, body, sent, method=method))
            if response.status_code != 429:
                break
            time.sleep(self.pause)
        else:
            pytest.skip(
                f"the target's rate limits are on: {self.throttled_tries} answers in a row to "
                f"{method} {urlsplit(url).path} were 429; raise its limits for the drill or "
                "allow-list this machine's address"
            )
        if response.status_code >= 500:
            raise TargetFailed(f"{method} {url[:300]} answered {response.status_code}")
        if method == "GET" and response.status_code == 200:
            self.page = url.split("?")[0]  # a hostile query would make every Referer huge
        return response

    def _ask(self, request: Request) -> RemoteResponse:
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                return RemoteResponse(answer.status, answer.headers, answer.read())
        except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
            reason = getattr(error, "reason", error)
            raise TargetFailed(
                f"{request.method} {request.full_url[:300]} had no answer "
                f"(timeout {self.timeout} s): {reason!r}"
            ) from error


def _body(method: str, data, content_type: str | None) -> tuple[bytes | None, str | None]:
    """The request body and its Content-Type, encoded as the test client encodes them."""
    if data is None:
        return None, content_type
    builder = EnvironBuilder(method=method, data=data, content_type=content_type)
    try:
        environ = builder.get_environ()
        return environ["wsgi.input"].read(), environ.get("CONTENT_TYPE")
    finally:
        builder.close()
