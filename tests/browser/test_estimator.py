"""The incentive estimator in a real browser: axe-core in four languages (empty, with results,
with errors), and a French investor who estimates and then enquires with the estimate attached."""

import json
import re
from decimal import Decimal

import pytest

from tests.browser.conftest import PHONE, PROCESSING_CONSENT

pytestmark = pytest.mark.browser

PATH = "/{lang}/incentives/estimator"
# 200 M CNY, electronics, 30 mu (2 ha), construction two months after signing.
FILLED = {
    "zh": "?investment=200000000&industry=electronics&land_mu=30&start=2",
    "en": "?investment=200%2C000%2C000&industry=electronics&land_ha=2&start=2",
    "de": "?investment=200.000.000&industry=electronics&land_ha=2&start=2",
    "fr": "?investment=200+000+000&industry=electronics&land_ha=2&start=2",
}
BROKEN = "?investment=viel&industry=weapons&land_ha=-1&land_mu=-1&start=99"


# One template in every language, its texts plain strings: each state is checked in Chinese and in
# one Latin language, a different one each (tests/site/test_estimator.py reads every language's
# numbers).
AXE_CHECKS = [
    (state, lang)
    for state, latin in (("empty", "en"), ("results", "de"), ("errors", "fr"))
    for lang in ("zh", latin)
]


@pytest.mark.parametrize(("state", "lang"), AXE_CHECKS)
def test_no_accessibility_violations(new_page, live_server, axe, state, lang):
    page = new_page()
    query = {"empty": "", "results": FILLED[lang], "errors": BROKEN}[state]
    response = page.goto(PATH.format(lang=lang) + query)
    assert response.status == {"errors": 422}.get(state, 200)
    if state == "results":
        assert page.locator("table").is_visible()
    if state == "errors":
        assert page.locator(".error-summary").is_visible()
    axe(page, f"estimator ({state}) in {lang}")


@pytest.fixture
def no_leads(live_server):
    """No inquiries yet (other modules share the live server's database), the demo plots."""
    from core.cli import load_plots
    from core.extensions import db
    from tests.conftest import reset_database

    with live_server.app.app_context():
        reset_database()
        load_plots()
        db.session.remove()
    return live_server


def stored_estimates(app) -> list:
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Inquiry

    with app.app_context():
        found = [(i.lead.company_name, i.language, i.estimate) for i in db.session.scalars(
            select(Inquiry)
        )]  # fmt: skip
        db.session.remove()
    return found


def expected_estimate(app) -> dict:
    from core import incentives
    from core.projects import park_today

    with app.app_context():
        policy = incentives.current_policy(park_today())
        # 3 ha = 45 mu; three months after signing is three full months before the deadline.
        return incentives.estimate(policy, Decimal(150_000_000), "new-materials", Decimal(45), 3)


def test_a_french_investor_estimates_and_enquires_with_the_estimate(new_page, no_leads, axe):
    from babel.numbers import format_percent
    from playwright.sync_api import expect  # here, so a machine without Playwright skips

    server = no_leads

    def t(msgid: str, **variables) -> str:
        return server.translate("fr", msgid, **variables)

    page = new_page(viewport=PHONE, locale="fr-FR")
    page.goto("/fr/policies")
    page.get_by_role("link", name=t("Estimate your incentives")).click()
    expect(page).to_have_url(f"{server.url}/fr/incentives/estimator")

    # The French way of writing 150 million, and land in hectares.
    page.get_by_label(t("Planned investment in yuan (CNY)")).fill("150 000 000")
    page.get_by_label(t("Industry"), exact=True).select_option("new-materials")
    page.get_by_label(t("Land needed in hectares")).fill("3")
    page.get_by_label(t("Planned start of construction")).select_option("3")
    page.get_by_role("button", name=t("Estimate my incentives")).click()
    expect(page).to_have_url(re.compile(r"/fr/incentives/estimator\?.*land_ha=3"))

    results = page.get_by_role("region", name=t("Your indicative package"), exact=True)
    expect(results).to_be_visible()
    expected = expected_estimate(server.app)["total"]
    land_row = results.get_by_role("row", name=re.compile(re.escape(t("Land price reduction"))))
    shown = format_percent(Decimal(expected["land_price_pct"]) / 100, locale="fr")
    expect(land_row).to_contain_text(shown)
    axe(page, "estimator results in French on a phone")

    results.get_by_role("link", name=t("Enquire with this estimate")).click()
    expect(page).to_have_url(re.compile(r"/fr/inquiry\?estimate="))
    expect(page.get_by_role("note").filter(has_text="2026-1")).to_be_visible()
    # The estimate's industry is already chosen; the visitor fills in the rest.
    expect(page.get_by_label(t("Industry"), exact=True)).to_have_value("new-materials")
    page.get_by_label(t("Your name")).fill("Claire Martin")
    page.get_by_label(t("Email address")).fill("claire.martin@example.fr")
    page.get_by_label(t("Company"), exact=True).fill("Martin Composites SAS")
    page.get_by_label(t("Country or region")).select_option("FR")
    page.get_by_role("checkbox", name=t(PROCESSING_CONSENT)).check()
    page.get_by_role("button", name=t("Send inquiry")).click()
    expect(page).to_have_url(re.compile(r"/fr/inquiry/thanks"))

    ((company, language, estimate),) = stored_estimates(server.app)
    assert (company, language) == ("Martin Composites SAS", "fr")
    assert estimate == json.loads(json.dumps(expected_estimate(server.app)))
