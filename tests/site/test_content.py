"""Content files: complete in four languages, parsed, and the fallback for a missing translation."""

import re
import shutil
from pathlib import Path

import pytest
import yaml

from core import create_app
from core.content import SECTIONS, Content, ContentError
from core.extensions import db
from core.i18n import LANGUAGES
from tests.conftest import make_config

ROOT = Path(__file__).resolve().parents[2] / "content"


def test_every_prose_file_exists_in_all_four_languages():
    content = Content(ROOT)
    assert content.pages, "no content pages found"
    for (section, slug), versions in content.pages.items():
        assert set(versions) == set(LANGUAGES), (
            f"{section}/{slug} lacks {set(LANGUAGES) - set(versions)}"
        )


def _translated_fields(node, where="") -> list[tuple[str, dict]]:
    """Every mapping that looks like a translation (has any language key)."""
    found = []
    if isinstance(node, dict):
        if set(node) & set(LANGUAGES) and set(node) <= set(LANGUAGES):
            found.append((where, node))
        else:
            for key, value in node.items():
                found += _translated_fields(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _translated_fields(value, f"{where}[{i}]")
    return found


@pytest.mark.parametrize(
    "name",
    [
        "site",
        "plots",
        "infrastructure",
        "events",
        "enterprises",
        "holidays",
        "approvals",
        "targets",
        "places",
    ],
)
def test_every_translated_data_field_has_four_languages(name):
    data = yaml.safe_load((ROOT / "data" / f"{name}.yaml").read_text(encoding="utf-8"))
    fields = _translated_fields(data)
    assert fields, f"{name}.yaml has no translated fields"
    for where, mapping in fields:
        assert set(mapping) == set(LANGUAGES), f"{name}{where} lacks a language"
        assert all(isinstance(v, str) and v.strip() for v in mapping.values()), f"{name}{where}"


def test_pages_have_no_raw_html_or_foreign_images():
    for path in ROOT.rglob("*.md"):
        if path.name == "README.md":
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<(script|iframe|img|style)\b", text, re.I), path
        assert not re.search(r"!\[[^\]]*\]\(https?://", text), path


def test_bad_front_matter_is_reported_with_the_file(tmp_path):
    shutil.copytree(ROOT, tmp_path / "content")
    broken = tmp_path / "content" / "pages" / "contact.fr.md"
    broken.write_text("no front matter here", encoding="utf-8")
    with pytest.raises(ContentError, match="contact.fr.md"):
        Content(tmp_path / "content")


@pytest.fixture
def partial_client(tmp_path):
    """An app whose German contact page and French policy page are missing."""
    shutil.copytree(ROOT, tmp_path / "content")
    (tmp_path / "content" / "pages" / "contact.de.md").unlink()
    (tmp_path / "content" / "policies" / "land-price.fr.md").unlink()
    app = create_app(
        make_config(
            tmp_path,
            CONTENT_DIR=str(tmp_path / "content"),
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'partial.db'}",
        )
    )
    with app.app_context():
        db.create_all()
    return app.test_client()


def test_missing_translation_redirects_to_fallback_with_notice(partial_client):
    response = partial_client.get("/de/contact")
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/contact?from=de"
    html = partial_client.get("/en/contact?from=de").get_data(as_text=True)
    assert 'class="notice"' in html and 'lang="de"' in html
    assert "Sie wird auf Englisch angezeigt." in html  # the language named in German
    assert "Set-Cookie" not in partial_client.get("/en/contact?from=de").headers
    french = partial_client.get("/en/policies/land-price?from=fr").get_data(as_text=True)
    assert "en anglais" in french
    # the page is not claimed to exist in German
    assert '<link rel="alternate" hreflang="de"' not in html
    assert '<link rel="alternate" hreflang="fr"' in html
    # the switcher drops the fallback marker
    assert 'href="/fr/contact?set_lang=1" lang="fr"' in html


def test_french_policy_falls_back_to_english(partial_client):
    response = partial_client.get("/fr/policies/land-price")
    assert response.headers["Location"] == "/en/policies/land-price?from=fr"


def test_sitemap_leaves_out_missing_translations(partial_client):
    xml = partial_client.get("/sitemap.xml").get_data(as_text=True)
    assert "http://localhost/de/contact<" not in xml
    assert "http://localhost/en/contact<" in xml
    assert "http://localhost/fr/policies/land-price<" not in xml


def test_notice_only_when_the_language_really_lacks_the_page(client):
    html = client.get("/en/contact?from=de").get_data(as_text=True)
    assert 'class="notice"' not in html


def test_sections_are_known():
    assert set(SECTIONS) == {p.parent.name for p in ROOT.rglob("*.md") if p.name != "README.md"}
