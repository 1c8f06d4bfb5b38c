"""The production shape walked as its users would, through the shipped nginx site: a cached public
page, an inquiry, a CRM sign-in, and a 50,000-row import run by the job worker while gunicorn
reloads gracefully, then a plot reserved in the CRM showing on its public page within the
documented bound. .ci/production runs it against the services it started:

    python -m tests.deploy.walk --upstream 127.0.0.1:PORT --gunicorn-pid PID \
        --email officer@… --admin-email admin@… (one password for both, in WALK_PASSWORD)
"""

import argparse
import csv
import io
import os
import re
import signal
import ssl
import sys
import tempfile
import time
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import HTTPCookieProcessor, HTTPSHandler, build_opener

import pyotp

from bench.nginx import loopback_nginx
from tests.drills.fuzz import Case, File, send
from tests.drills.remote import RemoteClient, _EveryAnswer

ROWS = 50_000
COUNTRIES = ("DE", "FR", "CN", "IT", "NL", "ES", "AT", "BE")


def staff_post(visitor: RemoteClient, path: str, case: Case):
    """A CRM form sent as from a page of the site on port 443. Flask-WTF compares the Referer of
    an HTTPS POST with the host nginx passes on ($host, without a port); the walk's nginx
    listens on another port, which the browser would put in the Referer."""
    return send(visitor, "POST", path, case, headers={"Referer": f"https://localhost{path}"})


def client(origin: str, cert: Path) -> RemoteClient:
    """A visitor trusting the run's self-signed certificate, with its own cookie jar."""
    visitor = RemoteClient(origin, timeout=60.0)
    context = ssl.create_default_context(cafile=str(cert))
    visitor.opener = build_opener(
        HTTPCookieProcessor(CookieJar()), _EveryAnswer(), HTTPSHandler(context=context)
    )
    return visitor


def step(text: str) -> None:
    print(f"-- {text}", flush=True)


def check(condition: bool, failure: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {failure}")


def cached_page(visitor: RemoteClient) -> None:
    first = visitor.get("/en/")
    check(first.status_code == 200, f"/en/ through nginx answered {first.status_code}")
    second = visitor.get("/en/")
    status = second.headers.get("X-Cache-Status")
    check(status == "HIT", f"the second /en/ was not served by the micro-cache ({status})")
    step("a public page through nginx: the second answer came from the micro-cache")


class BrowserForm(HTMLParser):
    """What a browser sends of the form posting to `action` as served: the selected option of each
    select (else its first), checked boxes only, values as given (the drill's reader invents)."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.fields = action, False, []
        self.select: tuple[str, list, list] | None = None  # name, options, selected
        self.textarea: tuple[str, list] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = (a.get("action") or self.action).split("?")[0] == self.action
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "image", "reset", "file"):
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self.select = (a["name"], [], [])
        elif tag == "option" and self.select:
            self.select[1].append(a.get("value", ""))
            if "selected" in a:
                self.select[2].append(a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self.textarea = (a["name"], [])

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "select" and self.select:
            name, options, selected = self.select
            if selected or options:
                self.fields.append((name, (selected or options)[0]))
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea[0], "".join(self.textarea[1]).strip()))
            self.textarea = None
        elif tag == "form":
            self.inside = False


def form_fields(visitor: RemoteClient, path: str) -> list:
    return form_fields_at(visitor, path, path)


def form_fields_at(visitor: RemoteClient, page_path: str, action: str) -> list:
    """The fields of the form posting to action, on the page at page_path."""
    page = visitor.get(page_path)
    check(page.status_code == 200, f"GET {page_path} answered {page.status_code}")
    reader = BrowserForm(action)
    reader.feed(page.get_data(as_text=True))
    check(bool(reader.fields), f"no form posting to {action} on {page_path}")
    return reader.fields


def inquiry(visitor: RemoteClient) -> None:
    fields = dict(form_fields(visitor, "/en/inquiry"))
    fields.update(
        name="Walk GmbH",
        company="Walk GmbH",
        email="walk@walk.example",
        country="DE",
        industry="precision-machinery",
        investment="0-50000000",
        land_need="0-15",
        message="A plant for sensors, 30 mu.",
        processing="y",
    )
    time.sleep(3.5)  # INQUIRY_MIN_SECONDS: a form sent faster is taken for a robot's
    sent = send(visitor, "POST", "/en/inquiry", Case(list(fields.items()), "urlencoded"))
    check(sent.status_code == 303, f"the inquiry answered {sent.status_code}")
    check(sent.headers["Location"].endswith("/en/inquiry/thanks"), "the inquiry went elsewhere")
    step("an inquiry sent through nginx")


def sign_in(visitor: RemoteClient, email: str, password: str) -> None:
    fields = dict(form_fields(visitor, "/crm/login"))
    fields.update(email=email, password=password)
    answer = staff_post(visitor, "/crm/login", Case(list(fields.items()), "urlencoded"))
    check(answer.status_code in (302, 303), f"the CRM sign-in answered {answer.status_code}")
    home = follow(visitor, answer)
    check(home.status_code == 200, f"the CRM after signing in answered {home.status_code}")
    check("/crm/login" not in visitor.page, "the sign-in led back to the sign-in page")
    step(f"signed in to the CRM as {email}")


def follow(visitor: RemoteClient, answer, hops: int = 3):
    """Where a redirect leads, as a browser goes on (the path of its Location, at most hops)."""
    for _ in range(hops):
        if answer.status_code not in (301, 302, 303):
            break
        location = urlsplit(answer.headers["Location"])
        answer = visitor.get(location.path + (f"?{location.query}" if location.query else ""))
    return answer


def fair_file() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Company", "Contact name", "Email", "Country"])
    for n in range(ROWS):
        writer.writerow(
            [f"Walk Firm {n:05d} GmbH", f"Person {n}", f"p{n}@firm{n}.example", COUNTRIES[n % 8]]
        )
    return out.getvalue().encode()


def wait_for(what: str, seconds: float, probe):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(2)
    raise SystemExit(f"FAILED: {what} within {seconds:.0f} s")


def big_import(visitor: RemoteClient, gunicorn_pid: int) -> None:
    fields = [(n, v) for n, v in form_fields(visitor, "/crm/imports/new") if n != "file"]
    upload = [*fields, ("file", File(fair_file(), "fair-50000.csv"))]
    answer = staff_post(visitor, "/crm/imports/new", Case(upload, "multipart"))
    check(answer.status_code in (302, 303), f"the upload answered {answer.status_code}")
    check("/mapping" in answer.headers["Location"], "the upload went elsewhere")
    mapping = answer.headers["Location"]
    job_id = int(re.search(r"/imports/(\d+)/mapping", mapping).group(1))
    path = f"/crm/imports/{job_id}/mapping"
    answer = staff_post(visitor, path, Case(form_fields(visitor, path), "urlencoded"))
    check(answer.status_code in (302, 303), f"the mapping answered {answer.status_code}")
    check(answer.headers["Location"].endswith(f"/{job_id}/review"), "the mapping went elsewhere")
    step(f"uploaded {ROWS:,} rows (import {job_id}); the worker matches them")

    review = f"/crm/imports/{job_id}/review"

    def review_ready():
        page = visitor.get(review)
        return page.status_code == 200 and 'name="action"' in page.get_data(as_text=True)

    started = time.monotonic()
    wait_for("the stored review", 600, review_ready)
    step(f"the review was ready after {time.monotonic() - started:.0f} s")
    fields = [(n, v) for n, v in form_fields(visitor, review) if n != "action"]
    answer = staff_post(visitor, review, Case([*fields, ("action", "run")], "urlencoded"))
    check(answer.status_code in (302, 303), f"starting the run answered {answer.status_code}")

    job_page = f"/crm/imports/{job_id}"

    def status() -> str:
        text = visitor.get(job_page).get_data(as_text=True)
        for word in ("done", "failed", "running"):
            if f'data-status="{word}"' in text:
                return word
        return "?"

    wait_for("the worker starting the run", 120, lambda: status() in ("running", "done"))
    os.kill(gunicorn_pid, signal.SIGHUP)
    step("gunicorn reloaded (SIGHUP) while the import runs")
    started = time.monotonic()
    final = wait_for("the import finishing", 1200, lambda: status().replace("running", ""))
    check(final == "done", f"the import ended {final}")
    text = visitor.get(job_page).get_data(as_text=True)
    check(f"{ROWS:,}" in text or str(ROWS) in text, "the job page does not show 50,000 rows")
    step(f"the import finished on the worker {time.monotonic() - started:.0f} s after the reload")


# What the documented bound allows (PAGE_CACHE_SECONDS + PUBLIC_S_MAXAGE, 10 + 10 by default),
# plus the one stale answer that sets off nginx's background refresh and the poll's own second.
PLOT_BOUND_SECONDS = 22


def enrol_second_factor(visitor: RemoteClient) -> None:
    """An admin's first sign-in asks for an authenticator app: read the secret, send a code."""
    path = "/crm/account/two-factor"
    page = visitor.get(path).get_data(as_text=True)
    found = re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', page)
    check(found is not None, "the two-factor page shows no secret")
    secret = found.group(1).replace(" ", "")
    fields = [(n, v) for n, v in form_fields(visitor, path) if n != "code"]
    code = pyotp.TOTP(secret).now()
    answer = staff_post(visitor, path, Case([*fields, ("code", code)], "urlencoded"))
    check(answer.status_code == 200, f"enrolling the second factor answered {answer.status_code}")
    step("the admin enrolled an authenticator app at first sign-in")


def plot_change(admin: RemoteClient, visitor: RemoteClient) -> None:
    """A plot reserved in the CRM shows as reserved on its public page through the cache."""
    listing = admin.get("/crm/leads").get_data(as_text=True)
    lead_id = int(re.search(r'href="/crm/leads/(\d+)"', listing).group(1))
    lead_page = admin.get(f"/crm/leads/{lead_id}").get_data(as_text=True)
    plot_id, code = re.search(r'<option value="(\d+)">([A-Z0-9-]+) · ', lead_page).groups()
    public = f"/en/land/{code}"
    for _ in range(2):  # the second answer is nginx's copy
        check('badge badge-available"' in visitor.get(public).get_data(as_text=True), "not free")
    action = f"/crm/leads/{lead_id}/plots/reserve"
    fields = [(n, v) for n, v in form_fields_at(admin, f"/crm/leads/{lead_id}", action)]
    fields = [(n, plot_id if n == "reserve-plot" else v) for n, v in fields]
    answer = staff_post(admin, action, Case(fields, "urlencoded"))
    check(answer.status_code in (302, 303), f"reserving plot {code} answered {answer.status_code}")
    changed = time.monotonic()
    while 'badge badge-reserved"' not in visitor.get(public).get_data(as_text=True):
        check(time.monotonic() - changed < PLOT_BOUND_SECONDS, f"{public} still shows it free")
        time.sleep(1)
    took = time.monotonic() - changed
    step(f"plot {code} reserved in the CRM: shown through nginx after {took:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--upstream", required=True, help="gunicorn's address, host:port")
    parser.add_argument("--gunicorn-pid", type=int, required=True)
    parser.add_argument("--email", required=True, help="a staff account that may import")
    parser.add_argument("--admin-email", required=True, help="an admin not yet enrolled in 2FA")
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[2]))
    args = parser.parse_args()
    password = os.environ["WALK_PASSWORD"]
    with (
        tempfile.TemporaryDirectory(prefix="walk-nginx-") as folder,
        loopback_nginx(Path(folder), args.upstream, Path(args.root)) as nginx,
    ):
        step(f"nginx with deploy/nginx/qingyuan.conf at {nginx.origin}")
        cached_page(client(nginx.origin, nginx.cert))
        inquiry(client(nginx.origin, nginx.cert))
        staff = client(nginx.origin, nginx.cert)
        sign_in(staff, args.email, password)
        big_import(staff, args.gunicorn_pid)
        admin = client(nginx.origin, nginx.cert)
        sign_in(admin, args.admin_email, password)
        enrol_second_factor(admin)
        plot_change(admin, client(nginx.origin, nginx.cert))
    print("walk passed", flush=True)


if __name__ == "__main__":
    sys.exit(main())
