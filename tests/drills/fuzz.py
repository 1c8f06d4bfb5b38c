"""The fuzz drill's machinery: read a form off its page, mutate it, send it every wrong way.

A case starts from what a person could send (the form's own fields, filled plausibly, with a
valid CSRF token most of the time, so cases reach validation and storage) and then drops,
doubles or replaces fields with hostile text, bytes that are not UTF-8, or files; it goes out
urlencoded, multipart, as JSON, as text/plain or as raw bytes.
"""

import io
import json
import logging
import os
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, quote_from_bytes

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from core.i18n import PUBLIC_LANGUAGES

# FUZZ_CASES per form: `make test` 60, `make drill` (and CI once, on PostgreSQL) 500. The cases
# differ from run to run, so the runs add up to far more than one run holds; a failure prints the
# blob that replays it (@reproduce_failure).
CASES = int(os.environ.get("FUZZ_CASES", "60"))
FUZZ = settings(
    max_examples=CASES,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)

# What a plausible person types into an empty field of each input type.
PLAUSIBLE = {
    "email": "fuzz@example.com",
    "tel": "+49 30 1234567",
    "number": "12",
    "date": "2026-12-01",
    "datetime-local": "2026-12-01T10:00",
    "time": "10:00",
    "url": "https://example.com/",
    "password": "correct horse battery",
}
HOSTILE = [
    "\x00",
    "a\x00b",
    "\u202egnp.exe",  # right-to-left override
    "\u200f\u200e\u061c",  # direction marks
    "😀🇨🇳👨‍👩‍👧" * 20,
    "\ufeff\ufffe",
    "'; DROP TABLE lead; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '=HYPERLINK("http://x")',
    "%s%n%x{0}{{7*7}}",
    "../../../../etc/passwd",
    "\r\nBcc: victim@example.com",
    "   ",
    "",
    "0",
    "-1",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "2026-02-30",
    "null",
    "张三",
    "x" * 70_000,
]
NOT_UTF8 = [b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"abc\x80def", b"\xf4\x90\x80\x80"]

text_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.text(min_size=1, max_size=4).map(lambda piece: piece * 3000),
)
values = st.one_of(text_values, text_values, st.sampled_from(NOT_UTF8))
ENCODINGS = ("urlencoded", "urlencoded", "multipart", "multipart", "json", "text", "bytes")


@dataclass
class Case:
    fields: list  # (name, value): value is str, bytes (not UTF-8) or File
    encoding: str


@dataclass
class File:
    content: bytes
    filename: str


files = st.builds(
    File,
    st.one_of(st.binary(max_size=300), st.sampled_from([b"web-01\n", b"PK\x03\x04junk", b""])),
    st.one_of(
        st.sampled_from(["hostname", "../../x.csv", "a\x00b.csv", "", "名片.jpg"]), st.text()
    ),
)


class FormReader(HTMLParser):
    """The fields of the form whose action is the given path, as the browser would send them."""

    def __init__(self, action: str, page: str):
        super().__init__(convert_charrefs=True)
        self.action, self.page = action, page
        self.inside, self.fields, self.file_fields = False, [], set()
        self.select: str | None = None
        self.option_taken = False
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            # A form without an action posts to its own page.
            self.inside = (a.get("action") or self.page).split("?")[0] == self.action
        if not self.inside or not a.get("name") and tag != "option":
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind == "file":
                self.file_fields.add(a["name"])
                self.fields.append((a["name"], File(b"Company\nFuzz GmbH\n", "fuzz.csv")))
            elif kind == "checkbox":
                self.fields.append((a["name"], a.get("value", "y")))
            elif kind == "radio":
                # One value per group, as a browser sends: the checked one, else the first. The
                # form's shape stays the same whichever is checked (hypothesis needs that).
                value = (a["name"], a.get("value", "y"))
                at = next((i for i, (n, _) in enumerate(self.fields) if n == a["name"]), None)
                if at is None:
                    self.fields.append(value)
                elif "checked" in a:
                    self.fields[at] = value
            elif kind in ("hidden",) or a.get("tabindex") == "-1":  # as served; a honeypot
                self.fields.append((a["name"], a.get("value") or ""))
            elif kind not in ("submit", "button", "image", "reset"):
                self.fields.append((a["name"], a.get("value") or PLAUSIBLE.get(kind, "Fuzz GmbH")))
        elif tag == "select":
            self.select, self.option_taken = a["name"], False
        elif tag == "option" and self.select and not self.option_taken:
            if a.get("value"):
                self.fields.append((self.select, a["value"]))
                self.option_taken = True
        elif tag == "textarea":
            self.textarea = a["name"]

    def handle_data(self, data):
        if self.textarea:
            self.fields.append((self.textarea, data.strip() or "A plant for sensors, 30 mu."))
            self.textarea = None

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, "A plant for sensors, 30 mu."))
            self.textarea = None
        elif tag == "form":
            self.inside = False

    def _has(self, name: str) -> bool:
        return any(existing == name for existing, _ in self.fields)


def read_form(html: str, action: str, page: str) -> tuple[list, set]:
    reader = FormReader(action, page)
    reader.feed(html)
    assert reader.fields, f"no form posting to {action} on the page"
    return reader.fields, reader.file_fields


@st.composite
def cases(draw, baseline: list) -> Case:
    """The baseline with a few fields (or none, or all) gone wrong, and how it is sent."""
    count = draw(st.sampled_from([0, 1, 1, 1, 2, 2, 3, len(baseline)]))
    wrong = set(draw(st.permutations(range(len(baseline))))[:count])
    fields = []
    for position, (name, value) in enumerate(baseline):
        if position not in wrong or (name == "csrf_token" and draw(st.integers(0, 9))):
            fields.append((name, value))
            continue
        choice = draw(st.integers(0, 3))
        if choice == 1:
            fields += [(name, value), (name, draw(values))]  # duplicated
        elif choice == 2:
            fields.append((name, draw(files)))  # a file where text is expected (or another)
        elif choice == 3:
            fields.append((name, draw(values)))
        # choice 0: missing
    if draw(st.integers(0, 4)) == 0:
        fields.append((draw(st.sampled_from(["extra", "\x00", "a" * 300, "csrf_token"])), "x"))
    return Case(fields, draw(st.sampled_from(ENCODINGS)))


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, File):
        return value.content.decode("latin-1")
    return value


def send(client, method: str, url: str, case: Case, **kwargs):
    """The case as one request, in its encoding."""
    if method == "GET":
        query = "&".join(f"{quote(n)}={_quoted(v)}" for n, v in case.fields)
        return client.get(f"{url}?{query}", **kwargs)
    if case.encoding == "multipart":
        data = {}
        for name, value in case.fields:
            part = (io.BytesIO(value.content), value.filename) if isinstance(value, File) else value
            data.setdefault(name, []).append(_text(part) if isinstance(part, bytes) else part)
        return client.post(url, data=data, content_type="multipart/form-data", **kwargs)
    if case.encoding == "json":
        body = json.dumps({name: _text(value) for name, value in case.fields})
        return client.post(url, data=body, content_type="application/json", **kwargs)
    body = "&".join(f"{quote(n)}={_quoted(v)}" for n, v in case.fields).encode()
    if case.encoding == "bytes":
        body = b"\xff\xfe\x00" + body
    kind = "text/plain" if case.encoding == "text" else "application/x-www-form-urlencoded"
    return client.post(url, data=body, content_type=kind, **kwargs)


def _quoted(value) -> str:
    if isinstance(value, File):
        value = value.content
    return quote_from_bytes(value) if isinstance(value, bytes) else quote(value)


def assert_no_server_error(response, case: Case) -> None:
    assert response.status_code < 500, (response.status_code, case.encoding, case.fields[:12])


def assert_no_traceback(caplog) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage() for r in errors][:5]


# -- one case against a public form, as a new visitor ---------------------------------------

LANGS = st.sampled_from(sorted(PUBLIC_LANGUAGES))


def form_once(client, read: dict, page: str, action: str) -> list:
    """The form on page as read on the first visit to it, kept in read with that visit's session
    (its CSRF secret), which the (new) Flask test client is given: a case is a new visitor in
    that session rather than a page load, which cost more than the case."""
    if page not in read:
        baseline, _files = read_form(client.get(page).get_data(as_text=True), action, page)
        with client.session_transaction() as session:
            read[page] = baseline, dict(session)
    baseline, kept = read[page]
    with client.session_transaction() as session:
        session.update(kept)
    return baseline


def fuzz_form(client, data, page: str, action: str, method: str = "POST", read=None):
    """One case against the form on page; with read, from the form read once (form_once).
    Without it (a remote target) each case loads the page."""
    if read is None:
        html = client.get(page).get_data(as_text=True)  # fresh tokens: a case is a new visit
        baseline, _files = read_form(html, action, page)
    else:
        baseline = form_once(client, read, page, action)
    case = data.draw(cases(baseline))
    assert_no_server_error(send(client, method, action, case), case)
