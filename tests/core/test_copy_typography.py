"""French typography and condensed dates: the no-break space before ":;?!" in every French
catalog string and page, "1er" for the first of the month, event days written once."""

from datetime import date as Date
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po
from flask_babel import force_locale

from core.i18n import date, date_range
from core.typography import faults, fix, fix_yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("Téléphone : 1", "Téléphone\u00a0: 1"),
        ("Note: voir", "Note\u00a0: voir"),
        ("Pourquoi ?", "Pourquoi\u202f?"),
        ("oui ; non", "oui\u202f; non"),
        ("Merci!", "Merci\u202f!"),
        ("%(field)s : %(new)s", "%(field)s\u00a0: %(new)s"),
        # Syntax, not French: left alone.
        ("de 10:00 à 12:00", "de 10:00 à 12:00"),
        ("https://example.cn/a?b=1 et mailto:x@y.cn", "https://example.cn/a?b=1 et mailto:x@y.cn"),
        ("![plan](/img/a.png) [lien](/fr/land?x=1)", "![plan](/img/a.png) [lien](/fr/land?x=1)"),
        ('<a href="/fr/">ici</a>', '<a href="/fr/">ici</a>'),
        ("Déjà\u00a0: fait", "Déjà\u00a0: fait"),
    ],
)
def test_fix_spaces_marks_but_not_syntax(text, fixed):
    assert fix(text) == fixed
    assert faults(fixed) == []


def test_front_matter_keys_are_not_french():
    page = "---\ntitle: Contact : nous joindre\n---\nTexte : ok\n"
    assert (
        fix(page, markdown=True)
        == "---\ntitle: Contact\u00a0: nous joindre\n---\nTexte\u00a0: ok\n"
    )


def test_french_catalog_has_no_breaking_space_before_marks():
    with (ROOT / "translations/fr/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    bad = []
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        bad += [f for s in strings if message.id and s for f in faults(s)]
    assert bad == [], "run python -m core.typography translations/fr/LC_MESSAGES/messages.po"


def test_french_content_has_no_breaking_space_before_marks():
    bad = {
        str(p.relative_to(ROOT)): faults(p.read_text(), markdown=True)
        for p in sorted((ROOT / "content").glob("**/*.fr.md"))
    }
    assert {p: f for p, f in bad.items() if f} == {}


def test_fix_yaml_touches_only_french_values():
    data = 'credit:\n  en: "Drawing: the bureau"\n  fr: "Dessin : le bureau"\nurl: http://x\n'
    fixed = fix_yaml(data)
    assert fixed == data.replace("Dessin :", "Dessin\u00a0:")
    assert yaml.safe_load(fixed)["credit"]["fr"] == "Dessin\u00a0: le bureau"


def _french_values(node, where: str):
    """Every French string of a YAML file: the "fr" of each {zh, en, de, fr} mapping."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "fr" and isinstance(value, str):
                yield where, value
            else:
                yield from _french_values(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _french_values(value, f"{where}[{i}]")


def test_french_content_data_has_no_breaking_space_before_marks():
    bad = {}
    for path in sorted((ROOT / "content").glob("**/*.yaml")):
        for where, text in _french_values(yaml.safe_load(path.read_text()), path.name):
            if faults(text):
                bad[where] = faults(text)
    assert bad == {}


RANGES = {
    # same month, across months, across years, a one-day event
    "de": ("9.–11. Dezember 2026", "30. November – 2. Dezember 2026",
           "30. Dezember 2026 – 2. Januar 2027", "9. Dezember 2026"),
    "zh": ("2026年12月9日至11日", "2026年11月30日至12月2日",
           "2026年12月30日至2027年1月2日", "2026年12月9日"),
    "en": ("9–11 December 2026", "30 November – 2 December 2026",
           "30 December 2026 – 2 January 2027", "9 December 2026"),
    "fr": ("9–11 décembre 2026", "30 novembre – 2 décembre 2026",
           "30 décembre 2026 – 2 janvier 2027", "9 décembre 2026"),
}  # fmt: skip


@pytest.mark.parametrize("lang", RANGES)
def test_date_range_writes_shared_parts_once(app, lang):
    spans = [
        (Date(2026, 12, 9), Date(2026, 12, 11)),
        (Date(2026, 11, 30), Date(2026, 12, 2)),
        (Date(2026, 12, 30), Date(2027, 1, 2)),
        (Date(2026, 12, 9), Date(2026, 12, 9)),
    ]
    with app.test_request_context(), force_locale(lang):
        assert tuple(date_range(a, b) for a, b in spans) == RANGES[lang]


def test_french_first_of_the_month_is_1er(app):
    first = Date(2027, 1, 1)
    with app.test_request_context(), force_locale("fr"):
        assert date(first) == "1er janvier 2027"
        assert date(first, "full") == "vendredi 1er janvier 2027"
        assert date(first, "short") == "01/01/2027"  # numeric dates keep their digits
        assert date(Date(2027, 1, 11)) == "11 janvier 2027"
        assert date_range(first, Date(2027, 1, 3)) == "1er–3 janvier 2027"
    with app.test_request_context(), force_locale("en"):
        assert date(first) == "1 January 2027"
