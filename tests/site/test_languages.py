"""Every public page in every language: status, <html lang>, hreflang, canonical, sitemap."""

import re

import pytest

from core.i18n import LANGUAGES
from tests.conftest import PAGES

LANGS = list(LANGUAGES)


def hreflangs(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", PAGES)
def test_page_in_every_language(client, lang, path):
    url = f"/{lang}{path}"
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    assert f'<html lang="{LANGUAGES[lang]["tag"]}">' in html
    links = hreflangs(html)
    expected = {info["tag"]: f"http://localhost/{code}{path}" for code, info in LANGUAGES.items()}
    expected["x-default"] = f"http://localhost/en{path}"
    assert links == expected
    assert f'<link rel="canonical" href="http://localhost{url}">' in html


def test_language_switcher_keeps_page_and_query(client):
    html = client.get("/de/land?zone=north").get_data(as_text=True)
    for code, info in LANGUAGES.items():
        assert f'href="/{code}/land?zone=north&amp;set_lang=1" lang="{info["tag"]}"' in html
        assert f">{info['name']}</a>" in html


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "/de/"),
        ("fr-FR,fr;q=0.9", "/fr/"),
        ("zh-CN,zh;q=0.9", "/zh/"),
        ("en-GB,en;q=0.8", "/en/"),
        ("ja-JP", "/en/"),
        ("it-IT,it;q=0.9,es;q=0.5", "/en/"),
        ("", "/en/"),
    ],
)
def test_root_negotiates_by_accept_language(client, header, target):
    response = client.get("/", headers={"Accept-Language": header} if header else {})
    assert response.status_code == 302
    assert response.headers["Location"] == target
    assert "Accept-Language" in response.headers["Vary"]


def test_root_prefers_the_language_chosen_in_the_switcher(client):
    chosen = client.get("/fr/land?zone=north&set_lang=1")
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/fr/land?zone=north"
    assert chosen.headers["Cache-Control"] == "private, no-store"
    response = client.get("/", headers={"Accept-Language": "de"})
    assert response.headers["Location"] == "/fr/"


def test_browsing_a_language_is_not_choosing_it(client):
    assert "Set-Cookie" not in client.get("/fr/").headers
    response = client.get("/", headers={"Accept-Language": "de"})
    assert response.headers["Location"] == "/de/"
    assert response.headers["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize("path", ["/es/", "/xx/land", "/EN/", "/zh-cn/"])
def test_unknown_language_is_404(client, path):
    assert client.get(path).status_code == 404


def test_pages_never_redirect_between_languages(client):
    for lang in LANGS:
        assert client.get(f"/{lang}/", headers={"Accept-Language": "de"}).status_code == 200


def test_sitemap_lists_every_page_in_every_language(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    xml = response.get_data(as_text=True)
    locs = set(re.findall(r"<loc>([^<]+)</loc>", xml))
    for lang in LANGS:
        for path in PAGES:
            assert f"http://localhost/{lang}{path}" in locs
    # every plot in every language
    for code in ("N-01", "S-01"):
        for lang in LANGS:
            assert f"http://localhost/{lang}/land/{code}" in locs
    # each <url> names all four versions
    assert xml.count('hreflang="zh-Hans"') == len(locs)


def test_robots_points_to_sitemap_and_hides_crm(client):
    body = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in body
    assert "Disallow: /crm/" in body


def test_public_base_url_makes_absolute_links(app, client):
    app.config["PUBLIC_BASE_URL"] = "https://invest.example.cn"
    html = client.get("/en/policies").get_data(as_text=True)
    assert '<link rel="canonical" href="https://invest.example.cn/en/policies">' in html
