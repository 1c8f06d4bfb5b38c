"""One policy status everywhere: the estimator and every policy page read it from the policy's
file, with the figures of the same data; a draft's figures are indicative, an adopted policy
cites its document and date, and the title does not repeat the version."""

from datetime import date

import pytest

from core.content import get_content
from core.i18n import LANGUAGES

POLICY_PAGES = [
    "/policies/on-time-construction-bonus",
    "/policies/land-price",
    "/policies/permit-fees",
    "/policies/tax-incentives",
]


def pages(client, lang):
    paths = ["/incentives/estimator", *POLICY_PAGES]
    return {path: client.get(f"/{lang}{path}").get_data(as_text=True) for path in paths}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_a_draft_policy_is_indicative_on_every_page(app, client, lang):
    with app.test_request_context(f"/{lang}/"):
        from flask_babel import force_locale

        from core.incentive_words import policy_status

        with force_locale(lang):
            status = policy_status(get_content().policies["2026-1"])
    for path, html in pages(client, lang).items():
        assert status in html, path
        assert "2026-1), version 2026-1" not in html and "version 1), version" not in html
    bonus = pages(client, lang)["/policies/on-time-construction-bonus"]
    assert "policy-figures" in bonus  # the figures of the same data as the estimator


def test_an_adopted_policy_cites_its_document_everywhere(app, client):
    with app.app_context():
        policy = get_content().policies["2026-1"]
    saved = dict(policy)
    policy.update(
        status="adopted",
        document={"zh": "清府发〔2026〕12号", "en": "Qingfu Fa [2026] No. 12"},
        adopted_on=date(2026, 3, 1),
    )
    try:
        for path, html in pages(client, "en").items():
            assert "Adopted on 1 March 2026 (Qingfu Fa [2026] No. 12)." in html, path
            assert "still being drafted" not in html.split("policy-figures")[-1]
    finally:
        policy.clear()
        policy.update(saved)
