"""Every consent box on every public page and form says what it asks, in the page's language:
an event's landing page once showed a box labelled only "Share", in English, in all four."""

import re

import pytest

from core.events import load_events
from core.i18n import LANGUAGES
from tests.conftest import PAGES
from tests.site.test_event_pages import SLUG

INPUT = re.compile(r"<input\b[^>]*>")
ID = re.compile(r'\bid="([^"]+)"')


def labels(html: str) -> dict[str, str]:
    """The text of the label of each checkbox of the page's forms."""
    found = {}
    boxes = [ID.search(tag) for tag in INPUT.findall(html) if 'type="checkbox"' in tag]
    for box in (match.group(1) for match in boxes if match):
        match = re.search(rf'<label[^>]*for="{re.escape(box)}"[^>]*>(.*?)</label>', html, re.S)
        assert match, f"checkbox {box} has no label"
        found[box] = re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip()
    return found


@pytest.fixture
def pages(app, client):
    with app.app_context():
        load_events()

    def get(lang: str) -> dict[str, dict[str, str]]:
        paths = [*PAGES, f"/events/{SLUG}", "/inquiry?ref=unknown-code"]
        return {path: labels(client.get(f"/{lang}{path}").get_data(as_text=True)) for path in paths}

    return get


def test_every_consent_box_has_a_specific_label_in_the_page_s_language(pages):
    english = pages("en")
    assert any("processing" in boxes for boxes in english.values()), "no consent form found"
    for lang in LANGUAGES:
        for path, boxes in pages(lang).items():
            for box, text in boxes.items():
                assert len(text) >= 12, (lang, path, box, text)  # "Share" says nothing
                if lang != "en" and box in english.get(path, {}):
                    assert text != english[path][box], (lang, path, box, "left in English")
