"""The shipped nginx site (deploy/nginx/) on loopback in front of the app, walked over HTTPS."""

# TLS, the micro-cache and what it never keeps, forwarded headers, static files, gzip, the upload
# limit, unknown hosts.

import gzip
import http.client
import os
import re
import socket
import ssl
import threading
import time

import pytest
from sqlalchemy import select

from bench.nginx import SERVER_NAME, loopback_nginx, nginx_binary
from bench.server import HOST, free_ports

# CI installs nginx and sets this: there a missing nginx fails instead of skipping.
REQUIRE_NGINX = bool(os.environ.get("REQUIRE_NGINX"))
# Short, so that the invalidation test sees the micro-cache let go within a test's time.
S_MAXAGE = 2
SESSION_COOKIE = "__Host-session"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app under werkzeug's threaded server, nginx with the shipped site in front of it."""
    if nginx_binary() is None:
        if REQUIRE_NGINX:
            pytest.fail("REQUIRE_NGINX=1 but nginx is not installed", pytrace=False)
        pytest.skip("nginx tests skipped: nginx is not installed (apt-get install nginx)")
    from werkzeug.serving import make_server

    from core import create_app
    from core.cli import load_plots
    from core.extensions import db
    from tests.conftest import TEST_DATABASE_URL, make_config
    from tests.databases import own_database

    folder = tmp_path_factory.mktemp("nginx")
    uri = own_database(TEST_DATABASE_URL, folder, "nginx")
    app = create_app(
        make_config(
            folder,
            TESTING=False,
            SQLALCHEMY_DATABASE_URI=uri,
            PROXY_FIX=1,
            PROXY_FIX_HOST=1,
            TRUSTED_HOSTS=[SERVER_NAME],
            SESSION_COOKIE_NAME=SESSION_COOKIE,
            SESSION_COOKIE_SECURE=True,
            PUBLIC_S_MAXAGE=S_MAXAGE,
        )
    )
    seen: list[dict] = []

    @app.before_request
    def note():  # what the app believes about each request it renders
        from flask import request

        seen.append(
            {
                "path": request.full_path,
                "remote_addr": request.remote_addr,
                "host": request.host,
                "scheme": request.scheme,
                "request_id": request.headers.get("X-Request-ID"),
            }
        )

    with app.app_context():
        db.drop_all()
        db.create_all()
        load_plots()
    arrived: list[str] = []

    def counted(environ, start_response):  # every request that reaches the app's server
        query = environ.get("QUERY_STRING")
        arrived.append(environ["PATH_INFO"] + (f"?{query}" if query else ""))
        return app(environ, start_response)

    server = make_server(HOST, free_ports(1)[0], counted, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with loopback_nginx(folder / "nginx", f"{HOST}:{server.server_port}") as nginx:
            app.config["PUBLIC_BASE_URL"] = nginx.origin
            yield Site(app, nginx, seen, arrived)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


class Site:
    def __init__(self, app, nginx, seen, arrived):
        self.app, self.nginx, self.seen, self.arrived = app, nginx, seen, arrived

    def context(self, **kwargs) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.nginx.cert))
        for name, value in kwargs.items():
            setattr(context, name, value)
        return context

    def request(self, path, method="GET", headers=None, body=None, host=None, https=True):
        """One request over its own connection; (status, headers in lower case, body)."""
        if https:
            conn = http.client.HTTPSConnection(
                SERVER_NAME, self.nginx.https_port, context=self.context(), timeout=10
            )
        else:
            conn = http.client.HTTPConnection(HOST, self.nginx.http_port, timeout=10)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host or SERVER_NAME)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            return (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            conn.close()

    def reached_app(self, path: str) -> int:
        return self.arrived.count(path)


def test_second_get_of_a_public_page_is_a_cache_hit(site):
    first = site.request("/en/")
    second = site.request("/en/")
    assert first[0] == second[0] == 200
    assert second[1]["x-cache-status"] == "HIT"
    assert second[2] == first[2]
    assert site.reached_app("/en/") == 1


def test_a_request_with_the_session_cookie_is_never_served_from_the_cache(site):
    site.request("/en/news")
    cookie = {"Cookie": f"lang=en; {SESSION_COOKIE}=anything"}
    before = site.reached_app("/en/news")
    for _ in range(2):
        status, headers, _ = site.request("/en/news", headers=cookie)
        assert status == 200 and headers["x-cache-status"] == "BYPASS"
        assert headers["cache-control"] == "private, no-cache"
    assert site.reached_app("/en/news") == before + 2
    # What it got is not kept for the others either.
    assert "private" not in site.request("/en/news")[1]["cache-control"]


def test_pages_with_a_form_are_never_kept(site):
    for _ in range(2):
        status, headers, _ = site.request("/en/inquiry")
        assert status == 200 and headers["x-cache-status"] in {"MISS", "EXPIRED"}
        assert headers["cache-control"] == "no-store" and "set-cookie" in headers


def test_the_crm_bypasses_the_cache(site):
    status, headers, _ = site.request("/crm/login")
    assert status == 200 and "x-cache-status" not in headers
    assert headers["cache-control"] == "no-store"


def test_what_the_client_says_about_itself_is_not_believed(site):
    status, *_ = site.request(
        "/en/land?probe=forwarded",
        headers={
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "http",
            "X-Request-ID": "chosen-by-the-client",
            "Forwarded": "for=203.0.113.9",
        },
    )
    assert status == 200
    [entry] = [e for e in site.seen if e["path"] == "/en/land?probe=forwarded"]
    assert entry["remote_addr"] == "127.0.0.1"
    assert entry["host"] == SERVER_NAME and entry["scheme"] == "https"
    assert re.fullmatch(r"[0-9a-f]{32}", entry["request_id"])


def test_a_plot_change_shows_through_the_cache_within_the_bound(site):
    from core.extensions import db
    from core.models import Plot

    with site.app.app_context():
        plot = db.session.scalar(select(Plot).where(Plot.status == "available").limit(1))
        code = plot.code
    path = f"/en/land/{code}"
    assert site.request(path)[0] == 200
    assert site.request(path)[1]["x-cache-status"] == "HIT"
    with site.app.app_context():
        db.session.scalar(select(Plot).where(Plot.code == code)).status = "reserved"
        db.session.commit()
    changed = time.monotonic()
    # The app's own page cache hears of its process's commit at once; nginx keeps its copy for
    # s-maxage, then refreshes it in the background (the request that notices gets the old one).
    while b"<dd>Reserved</dd>" not in site.request(path)[2]:
        assert time.monotonic() - changed < S_MAXAGE + 3, "the change never showed"
        time.sleep(0.1)


def test_static_files_are_served_by_nginx_for_a_year(site):
    html = site.request("/en/policies")[2].decode()
    css = re.search(r'href="(/static/site/css/site\.css\?v=[0-9a-f]+)"', html).group(1)
    status, headers, _ = site.request(css)
    assert status == 200
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["x-content-type-options"] == "nosniff"
    assert not site.reached_app(css)
    crm = site.request("/crm/static/pipeline/js/board.js?v=x")
    assert crm[0] == 200 and "immutable" in crm[1]["cache-control"]
    assert site.request("/crm/static/css/crm.css")[1]["cache-control"] == "public, no-cache"
    assert site.request("/static/site/../../core/config.py")[0] in {400, 404}


def test_text_is_gzipped_once_and_kept_so(site):
    plain = site.request("/en/land?probe=gzip")
    browsers = ["gzip, deflate, br", "gzip, deflate, br, zstd", "br;q=1.0, gzip;q=0.8"]
    zipped = [
        site.request("/en/land?probe=gzip", headers={"Accept-Encoding": value})
        for value in browsers
    ]
    assert "content-encoding" not in plain[1]
    for status, headers, body in zipped:
        assert status == 200 and headers["content-encoding"] == "gzip"
        assert headers["vary"] == "Accept-Encoding"
        assert gzip.decompress(body) == plain[2]
    assert len(zipped[0][2]) < len(plain[2]) / 3
    # Compressed once: every browser after the first gets the kept compressed copy.
    assert [headers["x-cache-status"] for _, headers, _ in zipped[1:]] == ["HIT", "HIT"]
    assert site.request("/en/land?probe=gzip")[1]["x-cache-status"] == "HIT"
    assert site.reached_app("/en/land?probe=gzip") == 2
    css = site.request("/static/site/css/site.css", headers={"Accept-Encoding": "gzip"})
    assert css[1]["content-encoding"] == "gzip"


def test_a_ten_megabyte_upload_reaches_the_app(site):
    boundary = "qingyuan-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="document"; '
            f'filename="plan.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + b"%PDF"
        + b"0" * (10 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, *_ = site.request(
        "/en/inquiry?probe=upload",
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        body=body,
    )
    assert status != 413
    assert site.reached_app("/en/inquiry?probe=upload") == 1
    # Over the app's limit nginx refuses it before it reaches the app.
    big = b"0" * (12 * 1024 * 1024)
    assert site.request("/en/inquiry?probe=big", method="POST", body=big)[0] == 413
    assert not site.reached_app("/en/inquiry?probe=big")


def test_plain_http_moves_to_https(site):
    status, headers, _ = site.request("/en/land?zone=north", https=False)
    assert status == 301
    assert headers["location"] == f"https://{SERVER_NAME}/en/land?zone=north"


def test_lets_encrypt_challenges_are_answered_over_plain_http(site):
    # certbot --webroot writes the token there; a 301 to https would fail the first certificate.
    challenges = site.nginx.folder / "acme" / ".well-known" / "acme-challenge"
    challenges.mkdir(parents=True, exist_ok=True)
    (challenges / "token-1").write_text("token-1.thumbprint")
    status, headers, body = site.request("/.well-known/acme-challenge/token-1", https=False)
    assert (status, body) == (200, b"token-1.thumbprint")
    assert headers["content-type"] == "text/plain"
    assert site.request("/.well-known/acme-challenge/none", https=False)[0] == 404


@pytest.mark.parametrize("https", [True, False])
def test_an_unknown_host_gets_no_answer(site, https):
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        site.request("/en/", host="evil.example", https=https)


def connect(site, context, name=SERVER_NAME):
    raw = socket.create_connection((HOST, site.nginx.https_port), timeout=5)
    try:
        return context.wrap_socket(raw, server_hostname=name)
    except BaseException:
        raw.close()
        raise


def test_a_handshake_for_another_name_is_refused(site):
    context = site.context(check_hostname=False, verify_mode=ssl.CERT_NONE)
    with pytest.raises(ssl.SSLError):
        connect(site, context, "evil.example")


def test_tls_offers_http2_and_modern_protocols_only(site):
    context = site.context()
    context.set_alpn_protocols(["h2", "http/1.1"])
    with connect(site, context) as tls:
        assert tls.selected_alpn_protocol() == "h2"
        assert tls.version() == "TLSv1.3"
    with connect(site, site.context(maximum_version=ssl.TLSVersion.TLSv1_2)) as tls:
        assert tls.version() == "TLSv1.2" and tls.cipher()[0].startswith("ECDHE-")
