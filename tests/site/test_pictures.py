"""Pictures of the park: responsive variants built once, <picture> with srcset on the pages that
show the park, alt text in the page's language, and the built files served from /media/."""

import re
import shutil
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from core.i18n import PUBLIC_LANGUAGES
from core.images import DEFAULT_WIDTHS, ImageError, ImageLibrary

ROOT = Path(__file__).resolve().parents[2] / "content"
# The pages the issue names, and the picture each shows.
PICTURED = {
    "/": "park-aerial",
    "/land": "serviced-plot",
    "/land/N-01": "serviced-plot",
    "/infrastructure": "infrastructure-works",
    "/enterprises": "enterprises-hall",
}


def pictures(html: str) -> list[str]:
    return re.findall(r"<picture>.*?</picture>", html, re.S)


@pytest.mark.parametrize("lang", PUBLIC_LANGUAGES)
@pytest.mark.parametrize("path", PICTURED)
def test_pictured_pages_show_a_responsive_picture(client, lang, path):
    html = client.get(f"/{lang}{path}").get_data(as_text=True)
    found = pictures(html)
    assert found, f"/{lang}{path} shows no picture"
    block = found[0]
    assert PICTURED[path] in block
    webp = re.search(r'<source type="image/webp"[^>]*srcset="([^"]+)"', block).group(1)
    img = re.search(r"<img [^>]+>", block).group(0)
    jpeg = re.search(r' srcset="([^"]+)"', img).group(1)
    widths = sorted(int(w) for w in re.findall(r" (\d+)w", webp))
    assert widths == list(DEFAULT_WIDTHS)
    assert sorted(int(w) for w in re.findall(r" (\d+)w", jpeg)) == widths
    # Width and height set: the page does not move while the picture loads.
    assert re.search(r' width="1440" height="810"', img)
    alt = re.search(r' alt="([^"]+)"', img).group(1)
    assert len(alt) > 20
    if lang == "zh":
        assert re.search(r"[\u4e00-\u9fff]", alt), alt
    else:
        assert not re.search(r"[\u4e00-\u9fff]", alt), alt


def test_only_the_first_picture_in_view_is_loaded_eagerly(client):
    home = client.get("/en/").get_data(as_text=True)
    assert 'fetchpriority="high"' in pictures(home)[0]
    assert 'loading="lazy"' not in pictures(home)[0]
    land = client.get("/en/land").get_data(as_text=True)
    # On the land page the picture comes after the results and the explanation.
    assert 'loading="lazy"' in pictures(land)[0]
    assert land.index("plot-results") < land.index("<picture>")


def test_every_variant_is_served_as_what_it_says(client):
    html = client.get("/de/").get_data(as_text=True)
    urls = set(re.findall(r"(/media/(?!preview-)[a-z0-9-]+\.(?:webp|jpg))", html))
    assert len(urls) >= 6
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "immutable" in response.headers["Cache-Control"]
        image = Image.open(BytesIO(response.data))
        assert image.format == ("WEBP" if url.endswith(".webp") else "JPEG")
        width = int(re.search(r"-(\d+)\.", url).group(1))
        assert image.width == width
        assert image.height == round(width * 9 / 16)


@pytest.mark.parametrize(
    "name", ["../secret.jpg", "park-aerial-0000000000-480.jpg", "x.png", "a" * 200 + ".jpg"]
)
def test_media_serves_only_built_pictures(client, name):
    assert client.get(f"/media/{name}").status_code == 404


def test_a_fresh_server_builds_a_picture_when_it_is_first_asked_for(app, client):
    library = app.extensions["images"]
    html = client.get("/en/enterprises").get_data(as_text=True)
    url = re.search(r"(/media/enterprises-hall-[a-z0-9]+-480\.webp)", html).group(1)
    preview = re.search(r'property="og:image" content="http://localhost(/media/[^"]+)"', html)
    shutil.rmtree(library.build_dir)
    library._built.clear()
    assert client.get(url).status_code == 200
    assert client.get(preview.group(1)).status_code == 200


def test_variants_are_made_once_and_again_when_the_source_changes(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "images", content / "images")
    library = ImageLibrary(content, tmp_path / "build")
    first = library.picture("serviced-plot")
    made = {p.name: p.stat().st_mtime_ns for p in library.build_dir.iterdir()}
    again = ImageLibrary(content, tmp_path / "build").picture("serviced-plot")
    assert again == first
    assert {p.name: p.stat().st_mtime_ns for p in library.build_dir.iterdir()} == made
    source = content / "images" / "serviced-plot.svg"
    source.write_text(source.read_text().replace("#dce9d0", "#dde9d0"))
    changed = ImageLibrary(content, tmp_path / "build").picture("serviced-plot")
    assert changed.largest.webp != first.largest.webp


def test_a_picture_without_alt_text_in_every_language_is_refused(tmp_path):
    images = tmp_path / "content" / "images"
    images.mkdir(parents=True)
    shutil.copy(ROOT / "images" / "park-aerial.svg", images)
    (images / "images.yaml").write_text(
        "images:\n  park-aerial:\n    source: park-aerial.svg\n"
        "    alt: {en: A park}\n    credit: {zh: 绘, en: Drawn, de: Gez., fr: Dessin}\n",
        encoding="utf-8",
    )
    with pytest.raises(ImageError, match="alt lacks zh, de, fr"):
        ImageLibrary(tmp_path / "content", tmp_path / "build")


def test_pictures_are_our_own_drawings():
    """No downloaded stock: every source is a drawing in this repository, with a credit."""
    import yaml

    manifest = yaml.safe_load((ROOT / "images" / "images.yaml").read_text(encoding="utf-8"))
    for key, entry in manifest["images"].items():
        source = ROOT / "images" / entry["source"]
        assert source.suffix == ".svg", key
        text = source.read_text(encoding="utf-8")
        assert "<image" not in text and "href=" not in text, f"{key} embeds or links a picture"
        assert entry["credit"]["en"].startswith("Drawing:")
