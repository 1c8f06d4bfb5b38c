"""Downloads: the brochure per language and a fact sheet per plot as PDF, with their text (Chinese
glyphs included) read back by pdftotext, linked from the pages, and made again when data change."""

import re
import shutil
import subprocess

import pytest

from core.extensions import db
from core.i18n import PUBLIC_LANGUAGES
from core.models import Plot

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(
    not PDFTOTEXT, reason="pdftotext (poppler-utils) is not installed: .ci/run installs it"
)
# What each language's PDF must say, read back from the PDF's text: Chinese characters in the
# Chinese file prove the CJK font was embedded and used (a missing glyph has no text).
BROCHURE_SAYS = {
    "zh": ["清源工业港", "现可供应的地块", "联系投资促进局"],
    "en": ["Qingyuan Industrial Port", "Plots available now", "Contact the investment bureau"],
    "de": ["Industriehafen Qingyuan", "Jetzt verfügbare Grundstücke", "Investitionsförderungsamt"],
    "fr": ["Port industriel de Qingyuan", "Parcelles disponibles", "bureau de promotion"],
}
SHEET_SAYS = {
    "zh": ["N-01", "地块信息表", "参考地价", "容积率"],
    "en": ["Plot N-01", "Fact sheet", "Readiness per utility", "Planning conditions"],
    "de": ["Grundstück N-01", "Datenblatt", "Erschließungsstand"],
    "fr": ["Parcelle N-01", "Fiche descriptive", "Secteur nord"],
}


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    result = subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, check=True)
    # pdftotext may break a Chinese line anywhere: read the words without layout spaces.
    return re.sub(r"\s+", " ", result.stdout.decode("utf-8"))


@needs_pdftotext
@pytest.mark.parametrize("lang", PUBLIC_LANGUAGES)
def test_brochure_in_every_language(client, lang, tmp_path):
    response = client.get(f"/{lang}/brochure.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert f"qingyuan-brochure-{lang}.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.data, tmp_path)
    squeezed = text.replace(" ", "")
    for phrase in BROCHURE_SAYS[lang]:
        assert phrase.replace(" ", "") in squeezed, f"{lang} brochure lacks {phrase!r}"
    if lang != "zh":
        assert not re.search(r"[\u4e00-\u9fff]", text), "Chinese in a non-Chinese brochure"


@needs_pdftotext
@pytest.mark.parametrize("lang", PUBLIC_LANGUAGES)
def test_plot_sheet_in_every_language(client, lang, tmp_path):
    response = client.get(f"/{lang}/land/N-01/sheet.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f"qingyuan-plot-N-01-{lang}.pdf" in response.headers["Content-Disposition"]
    squeezed = pdf_text(response.data, tmp_path).replace(" ", "")
    for phrase in SHEET_SAYS[lang]:
        assert phrase.replace(" ", "") in squeezed, f"{lang} sheet lacks {phrase!r}"


def test_downloads_are_linked_from_the_pages(client):
    home = client.get("/fr/").get_data(as_text=True)
    assert 'href="/fr/brochure.pdf"' in home
    contact = client.get("/fr/contact").get_data(as_text=True)
    assert 'href="/fr/brochure.pdf"' in contact  # from the footer, on every page
    plot = client.get("/zh/land/N-02").get_data(as_text=True)
    assert 'href="/zh/land/N-02/sheet.pdf"' in plot


def test_a_pdf_is_made_once_and_again_when_its_plot_changes(app, client):
    folder = app.extensions["images"].build_dir.parent / "documents"
    first = client.get("/en/land/N-01/sheet.pdf")
    made = sorted(folder.glob("plot-N-01-en-*.pdf"))
    assert len(made) == 1
    again = client.get("/en/land/N-01/sheet.pdf")
    assert again.data == first.data
    assert sorted(folder.glob("plot-N-01-en-*.pdf")) == made
    assert (
        client.get(
            "/en/land/N-01/sheet.pdf", headers={"If-None-Match": first.headers["ETag"]}
        ).status_code
        == 304
    )
    with app.app_context():
        plot = db.session.scalars(db.select(Plot).where(Plot.code == "N-01")).one()
        plot.price_per_mu = plot.price_per_mu + 1000
        db.session.commit()
    changed = client.get("/en/land/N-01/sheet.pdf")
    assert changed.headers["ETag"] != first.headers["ETag"]
    # The old version is removed, the new one kept.
    assert len(list(folder.glob("plot-N-01-en-*.pdf"))) == 1
    assert sorted(folder.glob("plot-N-01-en-*.pdf")) != made


@pytest.mark.parametrize(
    "path", ["/en/land/NOPE/sheet.pdf", "/en/land/a%20b/sheet.pdf", "/xx/brochure.pdf"]
)
def test_unknown_plots_and_languages_are_404(client, path):
    assert client.get(path).status_code == 404


def test_a_plot_code_in_other_case_is_sent_to_its_sheet(client):
    response = client.get("/en/land/n-01/sheet.pdf")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/en/land/N-01/sheet.pdf")
