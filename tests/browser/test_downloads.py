"""A visitor at the fair takes the park with them: the brochure from the home page and a plot's
fact sheet from its page, in their language, as PDF; the pictures load from our own host."""

import pytest

from tests.browser.conftest import LANGS, PHONE

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", LANGS)
def test_brochure_and_plot_sheet_from_the_pages(new_page, live_server, lang):
    """Each language's links, found by their names on a phone. The files are fetched in one
    language here: tests/site/test_documents.py reads every language's PDFs back, and each took
    seconds to make again for the live server."""
    page = new_page(viewport=PHONE)
    page.goto(f"/{lang}/")
    brochure = page.get_by_role(
        "link", name=live_server.translate(lang, "Download the brochure (PDF)")
    )
    brochure_href = brochure.get_attribute("href")
    assert brochure_href == f"/{lang}/brochure.pdf"
    page.goto(f"/{lang}/land/N-02")
    sheet = page.get_by_role("link", name=live_server.translate(lang, "Fact sheet (PDF)"))
    sheet_href = sheet.get_attribute("href")
    assert sheet_href == f"/{lang}/land/N-02/sheet.pdf"
    if lang != "de":
        return
    answer = page.request.get(brochure_href)
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    assert answer.body().startswith(b"%PDF-")
    answer = page.request.get(sheet_href)
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    assert f"plot-N-02-{lang}.pdf" in answer.headers["content-disposition"]


def test_the_pictures_are_shown_at_a_width_that_fits(new_page, live_server):
    page = new_page(viewport=PHONE)
    page.goto("/de/")
    picture = page.locator("figure.picture img").first
    picture.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('figure.picture img'); "
        "return i.complete && i.naturalWidth > 0; }"
    )
    chosen = picture.evaluate("img => img.currentSrc")
    # A 360 px phone at density 1 picks the smallest WebP, not the 1440 px one.
    assert chosen.endswith("-480.webp"), chosen
    box = picture.bounding_box()
    assert box["width"] <= PHONE["width"]
