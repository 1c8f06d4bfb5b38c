"""Sharing: Open Graph and Twitter card tags per page and language with a local preview picture,
JSON-LD for the bureau, plots (Place) and events (Event), unique descriptions, sitemap lastmod."""

import json
import re
from datetime import date
from html import unescape
from io import BytesIO

import pytest
from defusedxml import ElementTree
from PIL import Image

from core.events import load_events
from core.i18n import PUBLIC_LANGUAGES
from tests.conftest import PAGES

EVENT = "/events/eu-china-fair-2026"


@pytest.fixture
def events(app):
    with app.app_context():
        load_events()
    return app


def meta(html: str, key: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', html)
    return unescape(found.group(1)) if found else None


def structured(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])["@graph"]


@pytest.mark.parametrize("lang", PUBLIC_LANGUAGES)
def test_every_page_has_its_own_description_and_preview(client, events, lang):
    descriptions = {}
    for path in [*PAGES, EVENT, "/land/S-01"]:
        html = client.get(f"/{lang}{path}").get_data(as_text=True)
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        description = meta(html, "description")
        assert description and len(description) >= (20 if lang == "zh" else 40), path
        descriptions.setdefault(description, []).append(path)
        assert meta(html, "og:description") == description
        assert meta(html, "twitter:description") == description
        assert meta(html, "og:title") and meta(html, "og:title") in unescape(title)
        assert meta(html, "og:url") == f"http://localhost/{lang}{path.rstrip('/')}" + (
            "/" if path == "/" else ""
        )
        assert meta(html, "twitter:card") == "summary_large_image"
        assert meta(html, "og:image").startswith(f"http://localhost/media/preview-{lang}-")
        assert (
            meta(html, "og:locale")
            == {"zh": "zh_CN", "en": "en_GB", "de": "de_DE", "fr": "fr_FR"}[lang]
        )
    shared = {d: paths for d, paths in descriptions.items() if len(paths) > 1}
    assert not shared, f"{lang}: pages share a description: {shared}"


def test_preview_is_a_local_picture_naming_the_park(client):
    for lang in PUBLIC_LANGUAGES:
        html = client.get(f"/{lang}/").get_data(as_text=True)
        url = meta(html, "og:image").removeprefix("http://localhost")
        response = client.get(url)
        assert response.status_code == 200
        image = Image.open(BytesIO(response.data))
        assert (image.format, image.size) == ("JPEG", (1200, 630))
    zh = meta(client.get("/zh/").get_data(as_text=True), "og:image")
    en = meta(client.get("/en/").get_data(as_text=True), "og:image")
    assert zh != en  # the park's name is drawn in each language


def test_every_page_names_the_bureau_as_organisation(client):
    for lang in PUBLIC_LANGUAGES:
        graph = structured(client.get(f"/{lang}/infrastructure").get_data(as_text=True))
        bureau = graph[0]
        assert bureau["@type"] == "GovernmentOrganization"
        assert bureau["url"] == f"http://localhost/{lang}/"
        assert bureau["telephone"].startswith("+86")
    zh = structured(client.get("/zh/").get_data(as_text=True))[0]
    assert zh["name"] == "清源县投资促进局"


def test_plot_pages_describe_the_plot_as_a_place(client):
    graph = structured(client.get("/de/land/N-01").get_data(as_text=True))
    place = graph[1]
    assert place["@type"] == "Place"
    assert place["name"] == "N-01"
    assert place["url"] == "http://localhost/de/land/N-01"
    assert place["additionalProperty"][0]["unitCode"] == "MTK"
    assert "Nordbereich" in place["containedInPlace"]["name"]


def test_event_pages_describe_the_fair_as_an_event(client, events):
    graph = structured(client.get(f"/fr{EVENT}").get_data(as_text=True))
    event = graph[1]
    assert event["@type"] == "Event"
    assert event["startDate"] == "2026-12-09"
    assert event["endDate"] == "2026-12-11"
    assert event["inLanguage"] == "fr"
    assert event["organizer"] == {"@id": graph[0]["@id"]}
    assert event["url"] == f"http://localhost/fr{EVENT}"


def test_structured_data_cannot_close_its_script(app, client):
    """A description with </script> in it stays inside the JSON (tojson escapes < and >)."""
    html = client.get("/en/land/N-01").get_data(as_text=True)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block


def test_sitemap_says_when_each_page_last_changed(client, events):
    root = ElementTree.fromstring(client.get("/sitemap.xml").data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = root.findall("s:url", ns)
    assert urls
    for url in urls:
        lastmod = url.find("s:lastmod", ns)
        assert lastmod is not None, url.find("s:loc", ns).text
        assert date.fromisoformat(lastmod.text) <= date.today()
