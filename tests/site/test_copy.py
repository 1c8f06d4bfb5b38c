"""Copy the way each reader writes it: event days condensed, phone numbers grouped, the
industrial port explained once in every language."""

import re
from html import unescape
from pathlib import Path

import pytest
from flask_babel import force_locale

from core.events import load_events
from core.i18n import phone
from tests.forms import page

ROOT = Path(__file__).resolve().parents[2]
FAIR = {
    "zh": "2026年12月9日至11日",
    "en": "9–11 December 2026",
    "de": "9.–11. Dezember 2026",
    "fr": "9–11 décembre 2026",
}


@pytest.fixture
def events(app):
    with app.app_context():
        load_events()
    return app


@pytest.mark.parametrize("lang", FAIR)
def test_event_page_and_list_give_the_days_condensed(client, events, lang):
    landing = page(client.get(f"/{lang}/events/eu-china-fair-2026"))
    assert f'<time datetime="2026-12-09">{FAIR[lang]}</time>' in landing
    news = page(client.get(f"/{lang}/news"))
    assert FAIR[lang] in news


PHONE = re.compile(r"\+\d[\d ()-]{6,}\d")


@pytest.mark.parametrize("lang", ["zh", "en", "de", "fr"])
def test_bureau_phone_is_grouped_in_the_footer_and_thanks_page(client, lang):
    # site.yaml gives the number as dialled (+862855550100); readers see it grouped.
    html = page(client.get(f"/{lang}/"))
    footer = html.split("<footer", 1)[1]
    assert '<a href="tel:+862855550100">+86 28 5555 0100</a>' in footer
    assert "+862855550100<" not in html


def test_phone_numbers_written_in_content_are_grouped(app):
    found = {}
    for path in sorted((ROOT / "content").glob("**/*.??.md")):  # pages, not the README
        for number in PHONE.findall(path.read_text()):
            found[f"{path.relative_to(ROOT)}: {number}"] = number
    assert found, "the contact pages give the bureau's number"
    with app.test_request_context():
        assert {k: v for k, v in found.items() if phone(v) != v} == {}


def test_phone_grouping_keeps_what_it_cannot_read(app):
    with app.test_request_context(), force_locale("de"):
        assert phone("+8613800285555") == "+86 138 0028 5555"
        assert phone("+49301234567") == "+49 30 1234567"
        assert phone("call us") == "call us"
        assert phone(None) == ""


EXPLAINED = {
    "zh": "并非港口码头",
    "en": "the park has no harbour",
    "de": "kein Hafen am Wasser",
    "fr": "ce n'est pas un port au bord de l'eau",
}


@pytest.mark.parametrize("lang", EXPLAINED)
def test_home_page_says_the_industrial_port_is_no_harbour(client, lang):
    """A German or French reader takes "Hafen"/"port" for a harbour: the home page says once
    that it is an inland industry and logistics hub."""
    html = unescape(page(client.get(f"/{lang}/")))
    assert html.count(EXPLAINED[lang]) == 1


def test_german_service_page_says_wachschutz_not_sicherheitsstreifen(client):
    """治安巡逻 is a security patrol: "Wachschutz"/"Streifendienst"; "Sicherheitsstreifen" is a
    strip of ground."""
    html = page(client.get("/de/one-stop-service"))
    assert "Sicherheitsstreifen" not in html
    assert "Wachschutz mit Streifendienst rund um die Uhr" in html
