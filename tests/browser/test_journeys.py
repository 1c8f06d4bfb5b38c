"""Visitor journeys end to end: from / to the land, a plot, an inquiry and the database."""

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE, PROCESSING_CONSENT

pytestmark = pytest.mark.browser

VISITORS = {
    "de": {
        "name": "Anna Schmidt",
        "company": "Schmidt Feinmechanik GmbH",
        "country": "DE",
        "email": "anna.schmidt@example.de",
        "message": "Wir suchen etwa 50 mu für ein Montagewerk mit 120 Beschäftigten.",
    },
    "zh": {
        "name": "张伟",
        "company": "成都精工机械有限公司",
        "country": "CN",
        "email": "zhang.wei@example.cn",
        "message": "我们需要约50亩工业用地建设装配厂，预计用工120人。",
    },
}


@pytest.fixture
def empty_leads(live_server):
    """No leads or emails yet, the demo plots in place."""
    from core.cli import load_plots
    from core.extensions import db
    from tests.conftest import reset_database

    with live_server.app.app_context():
        reset_database()
        load_plots()
        db.session.remove()
    return live_server


def available_north_plots(app) -> list[str]:
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Plot

    with app.app_context():
        query = select(Plot.code).where(Plot.zone == "north", Plot.status == "available")
        codes = sorted(db.session.scalars(query))
        db.session.remove()
    return codes


def stored_inquiry(app) -> dict:
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Lead, OutboxEmail

    with app.app_context():
        leads = db.session.scalars(select(Lead)).all()
        emails = db.session.scalars(select(OutboxEmail)).all()
        found = {
            "leads": len(leads),
            "plots": [p.code for p in leads[0].plots] if leads else [],
            "language": leads[0].language if leads else None,
            "company": leads[0].company_name if leads else None,
            "emails": sorted((e.language, e.lead_id == leads[0].id) for e in emails)
            if leads
            else [],
        }
        db.session.remove()
    return found


@pytest.mark.parametrize(
    ("lang", "locale", "viewport"),
    [("de", "de-DE", DESKTOP), ("zh", "zh-CN", PHONE)],
    ids=["german-desktop", "chinese-phone"],
)
def test_visitor_filters_land_and_enquires_about_a_plot(
    new_page, empty_leads, lang, locale, viewport
):
    from playwright.sync_api import expect  # here, so a machine without Playwright skips

    server = empty_leads

    def t(msgid: str, **variables) -> str:
        return server.translate(lang, msgid, **variables)

    page = new_page(viewport=viewport, locale=locale)

    # Accept-Language decides the language at /.
    page.goto("/")
    expect(page).to_have_url(f"{server.url}/{lang}/")

    main_nav = page.get_by_role("navigation", name=t("Main"))
    main_nav.get_by_role("link", name=t("Land"), exact=True).click()
    expect(page).to_have_url(f"{server.url}/{lang}/land")

    # The filter form, used the way a visitor does: the drawer opened (results come first, the
    # filters wait closed), then its labels, then its button.
    filters = page.get_by_role("region", name=t("Find a plot"))
    expect(filters.get_by_label(t("Zone"))).to_be_hidden()
    filters.get_by_text(t("Find a plot"), exact=True).click()
    filters.get_by_label(t("Zone")).select_option("north")
    filters.get_by_label(t("Status")).select_option("available")
    filters.get_by_role("button", name=t("Show plots")).click()
    expect(page).to_have_url(re.compile(r"/land\?(?=.*zone=north)(?=.*status=available)"))

    results = page.get_by_role("list", name=t("Matching plots"))
    plot_link = re.escape(t("Plot %(code)s", code="CODE")).replace("CODE", r"(N-\d+)")
    links = results.get_by_role("link", name=re.compile(f"^{plot_link}$"))
    expect(links.first).to_be_visible()
    shown = [re.fullmatch(plot_link, text.strip()).group(1) for text in links.all_inner_texts()]
    assert sorted(shown) == available_north_plots(server.app)
    first_plot, code = links.first, shown[0]
    first_plot.click()
    expect(page).to_have_url(f"{server.url}/{lang}/land/{code}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)

    page.get_by_role("link", name=t("Ask about this plot")).click()
    expect(page).to_have_url(re.compile(rf"/{lang}/inquiry\?.*plot={code}"))

    # Plain fields, found by their labels: quick to fill in, and each one is labelled.
    visitor = VISITORS[lang]
    expect(page.get_by_label(t("Preferred language for our reply"))).to_have_value(lang)
    page.get_by_label(t("Your name")).fill(visitor["name"])
    page.get_by_label(t("Email address")).fill(visitor["email"])
    page.get_by_label(t("Company"), exact=True).fill(visitor["company"])
    page.get_by_label(t("Country or region")).select_option(visitor["country"])
    page.get_by_label(t("Industry"), exact=True).select_option(index=1)
    page.get_by_label(t("Planned investment")).select_option(index=2)
    page.get_by_label(t("Land needed")).select_option(index=2)
    page.get_by_label(t("Your project and your questions")).fill(visitor["message"])
    page.get_by_role("checkbox", name=t(PROCESSING_CONSENT)).check()
    page.get_by_role("button", name=t("Send inquiry")).click()

    expect(page).to_have_url(re.compile(rf"/{lang}/inquiry/thanks"))
    expect(page.get_by_role("status")).to_be_visible()

    stored = stored_inquiry(server.app)
    assert stored["leads"] == 1
    assert stored["plots"] == [code]
    assert stored["language"] == lang
    assert stored["company"] == visitor["company"]
    # A confirmation to the visitor in their language and a notice to the bureau.
    assert len(stored["emails"]) == 2
    assert all(belongs for _, belongs in stored["emails"])
    assert lang in [language for language, _ in stored["emails"]]
