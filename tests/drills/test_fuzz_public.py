"""Fuzz drill, public site: every public form and address, hundreds of hostile cases each; no
case may give a 5xx or log a traceback (SQLite and PostgreSQL).

With FUZZ_TARGET set (https://staging.example.cn) the same cases go over HTTP to that instance
instead of the local app; FUZZ_EVENT names a published event there for its landing form.
"""

import os
import re
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.events import load_events
from core.extensions import limiter
from tests import factories
from tests.drills.fuzz import (
    FUZZ,
    HOSTILE,
    LANGS,
    assert_no_traceback,
    fuzz_form,
)
from tests.drills.remote import RemoteClient
from tests.site.test_event_pages import SLUG

pytestmark = pytest.mark.slow  # hundreds of cases a form (FUZZ_CASES)

TARGET = os.environ.get("FUZZ_TARGET", "").rstrip("/")
TIMEOUT = float(os.environ.get("FUZZ_TIMEOUT", "30"))
EVENT = os.environ.get("FUZZ_EVENT") if TARGET else SLUG


@pytest.fixture
def fuzzed(app, monkeypatch, caplog):
    """The app with the rate limits off (or most cases would only meet the limiter)."""
    monkeypatch.setattr(limiter, "enabled", False)
    with app.app_context():
        load_events()
    yield app
    assert_no_traceback(caplog)


@pytest.fixture
def visitor(fuzzed):
    """A new visitor for each case: a test client of the app, or an HTTP client of FUZZ_TARGET."""
    if TARGET:
        return lambda: RemoteClient(TARGET, timeout=TIMEOUT)
    return fuzzed.test_client


@pytest.fixture
def forms():
    """The forms read so far and their sessions (tests/drills/fuzz.py fuzz_form); a remote
    target's visitors load each page instead."""
    return None if TARGET else {}


@FUZZ
@given(data=st.data(), lang=LANGS)
def test_inquiry_form(visitor, forms, data, lang):
    # A plot asked about, or a land search that found nothing (the hidden need field).
    query = data.draw(st.sampled_from(["plot=N-02", "need=zone%3Dsouth%26min_ha%3D50"]))
    fuzz_form(visitor(), data, f"/{lang}/inquiry?{query}", f"/{lang}/inquiry", read=forms)


@pytest.mark.skipif(not EVENT, reason="set FUZZ_EVENT to an event published on the target")
@FUZZ
@given(data=st.data(), lang=LANGS)
def test_event_landing_form(visitor, forms, data, lang):
    fuzz_form(visitor(), data, f"/{lang}/events/{EVENT}", f"/{lang}/inquiry", read=forms)


@FUZZ
@given(data=st.data(), lang=LANGS)
def test_portal_sign_in_form(visitor, forms, data, lang):
    page = f"/{lang}/portal/sign-in"
    fuzz_form(visitor(), data, page, page, read=forms)


@pytest.fixture
def portal_client(fuzzed):
    client = fuzzed.test_client()
    ids = factories.portal_world(fuzzed)
    with fuzzed.app_context():
        factories.portal_sign_in(client, ids["contact"])
    return client


@pytest.mark.skipif(bool(TARGET), reason="needs a signed-in portal session: drilled locally only")
@FUZZ
@given(data=st.data(), lang=LANGS)
def test_portal_referral_form(portal_client, forms, data, lang):
    page = f"/{lang}/portal/referrals/new"
    fuzz_form(portal_client, data, page, page, read=forms)


@FUZZ
@given(data=st.data(), lang=LANGS)
def test_estimator_and_land_filters(visitor, forms, data, lang):
    client = visitor()
    page = data.draw(st.sampled_from([f"/{lang}/incentives/estimator", f"/{lang}/land"]))
    fuzz_form(client, data, page, page, method="GET", read=forms)


# -- addresses: every public route's variable parts --------------------------------------------

ARGUMENT = re.compile(r"<[^>]+>")
segments = st.one_of(st.sampled_from(HOSTILE[:-1]), st.text(max_size=30), st.integers().map(str))


def public_rules(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.arguments - {"lang"} and not rule.rule.startswith(("/crm", "/static"))
    )


@FUZZ
@given(data=st.data(), lang=LANGS)
def test_public_addresses(fuzzed, visitor, data, lang):
    path = data.draw(st.sampled_from(public_rules(fuzzed))).replace("<lang>", lang)
    for argument in ARGUMENT.findall(path):
        path = path.replace(argument, quote(data.draw(segments), safe=""), 1)
    method = data.draw(st.sampled_from(["GET", "GET", "POST", "HEAD"]))
    response = visitor().open(path, method=method)
    assert response.status_code < 500, (path, method)
