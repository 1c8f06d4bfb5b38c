"""Event landing pages: shown per language when published, their form attributes the lead, QR."""

import io
import re

import pytest
import segno
from markupsafe import escape
from sqlalchemy import func, select

from core.events import load_events
from core.extensions import db
from core.models import AuditEntry, Event, Inquiry, Lead
from tests.conftest import assert_security_headers
from tests.forms import HIDDEN, answers, page

SLUG = "eu-china-fair-2026"


@pytest.fixture
def events(app):
    with app.app_context():
        load_events()
    return app


def landing_form(client, lang: str = "de", slug: str = SLUG) -> dict:
    response = client.get(f"/{lang}/events/{slug}")
    assert response.status_code == 200
    return dict(HIDDEN.findall(page(response)))


@pytest.mark.parametrize("lang, tag", [("zh", "zh-Hans"), ("en", "en"), ("de", "de"), ("fr", "fr")])
def test_landing_page_in_every_language(client, events, lang, tag):
    response = client.get(f"/{lang}/events/{SLUG}")
    html = page(response)
    assert response.status_code == 200
    assert f'<html lang="{tag}">' in html
    # the form carries tokens for this visitor: never cached
    assert response.headers["Cache-Control"] == "no-store"
    with events.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == SLUG))
        assert escape(event.text("booth", lang)) in html
        assert escape(event.text("name", lang)) in html
    # hreflang for all four languages and a self canonical
    for other in ("zh-Hans", "en", "de", "fr"):
        assert f'hreflang="{other}"' in html
    assert re.search(rf'rel="canonical" href="http://localhost/{lang}/events/{SLUG}"', html)
    # its own inquiry form, posting to the inquiry view with the event attached
    assert 'action="/' + lang + '/inquiry"' in html
    assert f'name="event" type="hidden" value="{SLUG}"' in html
    # what the park offers: links to land and policies
    assert f'href="/{lang}/land?status=available"' in html
    assert f'href="/{lang}/policies"' in html


def test_german_page_says_where_to_meet(client, events):
    html = page(client.get(f"/de/events/{SLUG}"))
    assert "Halle 3, Stand A12" in html
    assert "Western China International Expo City" in html


def test_unknown_and_unpublished_events_are_404(client, events):
    assert client.get("/de/events/no-such-fair").status_code == 404
    assert client.get("/de/events/" + "x" * 200).status_code == 404
    assert client.get(f"/xx/events/{SLUG}").status_code == 404
    with events.app_context():
        db.session.scalar(select(Event).where(Event.slug == SLUG)).published = False
        db.session.commit()
    for path in ("", "/qr.svg", "/qr.png"):
        assert client.get(f"/de/events/{SLUG}{path}").status_code == 404


def test_landing_form_attributes_the_lead_to_the_event(client, events):
    hidden = landing_form(client, "de")
    assert hidden["event"] == SLUG
    response = client.post("/de/inquiry", data={**hidden, **answers()})
    assert response.status_code == 303
    with events.app_context():
        lead = db.session.scalar(select(Lead))
        assert lead.event is not None and lead.event.slug == SLUG
        assert lead.source == "website"  # it came through the website; the event is attribution
        assert db.session.scalar(select(func.count()).select_from(Inquiry)) == 1
        leads_audited = select(func.count()).where(AuditEntry.entity_type == "Lead")
        assert db.session.scalar(leads_audited) == 1


def test_bad_input_keeps_the_event_and_names_it(client, events):
    hidden = landing_form(client, "en")
    response = client.post("/en/inquiry", data={**hidden, **answers(email="not an email")})
    html = page(response)
    assert response.status_code == 422
    assert f'name="event" type="hidden" value="{SLUG}"' in html
    assert "EU-China Business &amp; Technology Cooperation Fair 2026" in html
    with events.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_inquiry_link_with_event_parameter(client, events):
    html = page(client.get(f"/fr/inquiry?event={SLUG}"))
    assert f'name="event" type="hidden" value="{SLUG}"' in html


def test_forged_or_unpublished_event_is_ignored(client, events):
    hidden = landing_form(client, "en")
    with events.app_context():
        db.session.scalar(select(Event).where(Event.slug == SLUG)).published = False
        db.session.commit()
    response = client.post("/en/inquiry", data={**hidden, **answers()})
    assert response.status_code == 303
    hidden = dict(HIDDEN.findall(page(client.get("/en/inquiry"))))
    hidden["event"] = "<script>"
    response = client.post(
        "/en/inquiry", data={**hidden, **answers(email="b@example.com", company="Other AG")}
    )
    assert response.status_code == 303
    with events.app_context():
        assert db.session.scalars(select(Lead.event_id)).all() == [None, None]
    assert 'value="&lt;script&gt;"' not in page(client.get("/en/inquiry?event=<script>"))


def _expected(url: str, kind: str) -> bytes:
    out = io.BytesIO()
    qr = segno.make(url, error="m")
    if kind == "svg":
        qr.save(out, kind="svg", scale=10, border=4, xmldecl=True, svgns=True)
    else:
        qr.save(out, kind="png", scale=20, border=4)
    return out.getvalue()


@pytest.mark.parametrize("kind, mimetype", [("svg", "image/svg+xml"), ("png", "image/png")])
def test_qr_codes_encode_the_absolute_landing_url(app, client, events, kind, mimetype):
    response = client.get(f"/fr/events/{SLUG}/qr.{kind}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert "public" in response.headers["Cache-Control"]
    assert response.data == _expected(f"http://localhost/fr/events/{SLUG}", kind)
    # unchanged: a 304 on the next request
    again = client.get(
        f"/fr/events/{SLUG}/qr.{kind}", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    app.config["PUBLIC_BASE_URL"] = "https://invest.qingyuan.example"
    response = client.get(f"/fr/events/{SLUG}/qr.{kind}")
    assert response.data == _expected(f"https://invest.qingyuan.example/fr/events/{SLUG}", kind)


def test_sitemap_lists_published_event_pages(client, events):
    body = page(client.get("/sitemap.xml"))
    for lang in ("zh", "en", "de", "fr"):
        assert f"<loc>http://localhost/{lang}/events/{SLUG}</loc>" in body
    with events.app_context():
        db.session.scalar(select(Event).where(Event.slug == SLUG)).published = False
        db.session.commit()
    assert f"/events/{SLUG}<" not in page(client.get("/sitemap.xml"))


def test_news_page_links_the_event_to_its_landing_page(app, client, events):
    app.config["PAGE_CACHE_SECONDS"] = 0
    assert f'href="/en/events/{SLUG}"' in page(client.get("/en/news"))
    assert f'href="/zh/events/{SLUG}"' in page(client.get("/zh/"))


def test_news_page_without_events_in_the_database_links_nothing(app, client):
    app.config["PAGE_CACHE_SECONDS"] = 0
    assert "/events/" not in page(client.get("/en/news"))


def test_loading_events_is_idempotent(app):
    with app.app_context():
        assert load_events() == (4, 0)
        assert load_events() == (0, 0)
        event = db.session.scalar(select(Event).where(Event.slug == SLUG))
        assert event.name["zh"].startswith("2026欧洽会")
        assert str(event.starts_on) == "2026-12-09"
        event.name = {"en": "Changed"}
        event.notes = "kept"
        db.session.commit()
        assert load_events() == (0, 1)
        event = db.session.scalar(select(Event).where(Event.slug == SLUG))
        assert event.name["en"].startswith("EU-China") and event.notes == "kept"


@pytest.mark.parametrize("path", ["", "/qr.svg", "/qr.png"])
def test_security_headers_on_event_pages(client, events, path):
    url = f"/zh/events/{SLUG}{path}"
    response = client.get(url)
    assert response.status_code == 200
    assert_security_headers(response, url)
