"""The incentive estimator: the policy's cases through the page, bad input, and the estimate
travelling with the inquiry to the database, the bureau's email and the CRM."""

import json
import re
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from babel.numbers import format_percent
from flask_babel import force_locale
from sqlalchemy import select

from core import incentives
from core.extensions import db
from core.models import Inquiry, Lead, OutboxEmail
from core.projects import park_today
from tests.conftest import translated
from tests.core.test_incentives import CASES, M
from tests.factories import english_cast, sign_in_as
from tests.forms import answers, open_form, page, send

# CASES give land in mu; the English page takes hectares. Each is replaced by a whole number of
# hectares on the same side of the land-intensity threshold (3 M CNY per mu), so that the
# expected figures stay those of CASES: 30 mu = 2 ha exactly, 3 ha = 45 mu (200 M: 4.4 M/mu),
# 6 ha = 90 mu (600 M: 6.7 M/mu), 12 ha = 180 mu (1.5 bn: 8.3 M/mu).
HECTARES = {30: "2", 50: "3", 100: "6", 200: "12"}
ROW_LABELS = (
    "Land price reduction",
    "Permit fee reduction",
    "Refund of the county's share of corporate income tax",
)
ENQUIRE = "Enquire with this estimate"


def estimator_url(lang: str, investment, industry: str, land, start, **extra) -> str:
    args = {"investment": investment, "industry": industry}
    if land is not None:
        args["land_mu" if lang == "zh" else "land_ha"] = land
    args["start"] = start
    args.update(extra)
    return f"/{lang}/incentives/estimator?{urlencode(args)}"


def case_url(lang: str, inputs) -> str:
    investment, industry, land, months = inputs
    if land is not None and lang != "zh":
        land = HECTARES[land]
    return estimator_url(lang, investment, industry, land, months)


def table(html: str) -> dict[str, tuple[str, str]]:
    """Each row of the results table: label → (with the planned start, the other side)."""
    rows = re.findall(
        r'<th scope="row">(.*?)</th>\s*<td><strong>(.*?)</strong></td>\s*<td>(.*?)</td>', html
    )
    return {unescape(label): (unescape(yours), unescape(other)) for label, yours, other in rows}


def reasons(html: str) -> list[str]:
    listed = re.search(r'<ol class="estimate-reasons">(.*?)</ol>', html, re.S).group(1)
    return [unescape(text) for text in re.findall(r"<li>(.*?)</li>", listed)]


def enquire_link(app, html: str, lang: str) -> str:
    label = re.escape(translated(app, ENQUIRE, lang))
    return unescape(re.search(rf'<a class="button" href="([^"]+)">{label}</a>', html).group(1))


def pct(value: int, lang: str) -> str:
    return format_percent(Decimal(value) / 100, locale=lang)


def years(app, n: int, lang: str) -> str:
    from flask_babel import ngettext

    with app.test_request_context(), force_locale(lang):
        return ngettext("%(num)d year", "%(num)d years", n) if n else "—"


def policy(app) -> dict:
    with app.app_context():
        return incentives.current_policy(park_today())


# -- the policy's cases through the page ------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("inputs, figures, on_time, rules_applied", CASES)
def test_each_case_shows_the_policy_figures(app, client, lang, inputs, figures, on_time,
                                            rules_applied):  # fmt: skip
    response = client.get(case_url(lang, inputs))
    html = page(response)
    assert response.status_code == 200, html
    shown = table(html)
    land, permit, tax, refund_years = figures
    labels = [translated(app, label, lang) for label in ROW_LABELS]
    assert [shown[label][0] for label in labels] == [pct(v, lang) for v in (land, permit, tax)]
    assert shown[translated(app, "Years of tax refund", lang)][0] == years(app, refund_years, lang)
    # One sentence per rule applied, in order.
    assert len(reasons(html)) == len(rules_applied)
    other = (
        "If construction starts after the deadline"
        if on_time
        else ("If construction starts on the deadline")
    )
    assert f'<th scope="col">{translated(app, other, lang)}</th>' in html
    assert "2026-1" in html
    assert translated(app, ENQUIRE, lang) in html
    notice = "This estimate is indicative. What your project receives is confirmed in your "
    assert translated(app, notice + "investment agreement.", lang) in unescape(html)


def test_hectares_convert_exactly_to_mu(app, client):
    """2 ha on the English page and 30 mu on the Chinese one are the same estimate (one token)."""
    en = page(client.get(estimator_url("en", 200 * M, "electronics", "2", 6)))
    zh = page(client.get(estimator_url("zh", 200 * M, "electronics", "30", 6)))
    en_token = parse_qs(urlsplit(enquire_link(app, en, "en")).query)["estimate"]
    zh_token = parse_qs(urlsplit(enquire_link(app, zh, "zh")).query)["estimate"]
    assert en_token == zh_token
    # 200 M on 30 mu is 6.7 M per mu: intensive, said per hectare in English (45 M per ha).
    assert any("CN¥45,000,000" in text for text in reasons(en))
    assert any("300万元" in text for text in reasons(zh))


def test_switching_language_keeps_the_land_in_the_new_unit(app, client):
    html = page(client.get(estimator_url("en", 200 * M, "electronics", "2", 6)))
    switch = unescape(re.search(r'<a href="(/zh/incentives/estimator\?[^"]+)"', html).group(1))
    assert "land_ha=2" in switch
    zh = page(client.get(switch, follow_redirects=True))
    assert re.search(r'<input [^>]*name="land_mu"[^>]*value="30"', zh)
    assert table(zh) == table(
        page(client.get(estimator_url("zh", 200 * M, "electronics", "30", 6)))
    )


@pytest.mark.parametrize(
    "typed", ["200000000", "200,000,000", "200 000 000", "200\u202f000\u202f000", "2,0000,0000"]
)
def test_investment_accepts_grouping(app, client, typed):
    html = page(client.get(estimator_url("en", typed, "electronics", "2", 6)))
    reference = page(client.get(estimator_url("en", "200000000", "electronics", "2", 6)))
    assert enquire_link(app, html, "en") == enquire_link(app, reference, "en")


def test_german_dots_group_thousands(app, client):
    html = page(client.get(estimator_url("de", "200.000.000", "electronics", "2,5", 6)))
    assert table(html)[translated(app, "Land price reduction", "de")][0] == pct(18, "de")


@pytest.mark.parametrize("lang", ["zh", "en", "de", "fr"])
def test_empty_form_in_every_language(app, client, lang):
    response = client.get(f"/{lang}/incentives/estimator")
    html = page(response)
    assert response.status_code == 200
    assert response.headers.get("ETag")  # a public page like the others (render_page)
    land = "land_mu" if lang == "zh" else "land_ha"
    for field in ("investment", "industry", land, "start"):
        assert f'<label for="{field}">' in html
    assert 'method="get"' in html and "csrf_token" not in html
    assert "<table" not in html
    with app.app_context():
        title = incentives.current_policy(park_today())["title"][lang]
    assert unescape(title) in unescape(html)


def test_in_the_sitemap_and_linked_from_the_policies(client):
    xml = page(client.get("/sitemap.xml"))
    for lang in ("zh", "en", "de", "fr"):
        assert f"<loc>http://localhost/{lang}/incentives/estimator</loc>" in xml
    assert 'href="/fr/incentives/estimator"' in page(client.get("/fr/policies"))
    bonus = page(client.get("/fr/policies/on-time-construction-bonus"))
    assert 'href="/fr/incentives/estimator"' in bonus


# -- bad input ----------------------------------------------------------------------------------


BAD = [
    ({"investment": "viel Geld"}, "investment", "Enter the amount in yuan as a whole number, "
     "for example %(example)s."),
    ({"investment": "-5000000"}, "investment", "Enter an amount greater than zero."),
    ({"investment": "0"}, "investment", "Enter an amount greater than zero."),
    ({"investment": "1" + "0" * 15}, "investment", "Enter at most %(amount)s."),
    ({"investment": "2,5"}, "investment", "Enter the amount in yuan as a whole number, "
     "for example %(example)s."),
    ({"investment": ""}, "investment", "Enter the amount you plan to invest."),
    ({"industry": "weapons"}, "industry", "Choose your industry from the list."),
    ({"industry": ""}, "industry", "Choose your industry, or “Other industry”."),
    ({"land_ha": "groß"}, "land_ha", "Enter the area as a number, for example %(example)s."),
    ({"land_ha": "-2"}, "land_ha", "Enter an area greater than zero, or leave the field empty."),
    ({"land_ha": "0"}, "land_ha", "Enter an area greater than zero, or leave the field empty."),
    ({"land_ha": "99999"}, "land_ha",
     "That is more than twice the whole park. Enter the land your plant needs."),
    ({"start": "13"}, "start", "Choose a start from the list."),
    ({"start": ""}, "start", "Choose when you plan to start construction."),
]  # fmt: skip


@pytest.mark.parametrize("change, field, message", BAD)
def test_bad_input_is_explained_next_to_the_field_in_german(app, client, change, field, message):
    args = {"investment": "200000000", "industry": "electronics", "land_ha": "2", "start": "6"}
    args.update(change)
    response = client.get(f"/de/incentives/estimator?{urlencode(args)}")
    html = unescape(page(response))
    assert response.status_code == 422
    assert 'class="error-summary"' in html
    errors = re.search(rf'<div class="field-errors" id="{field}-error">(.*?)</div>', html, re.S)
    assert errors, f"no message next to {field}"
    # The German wording up to the figure it names (the figure is formatted the German way).
    german = translated(app, message, "de").split("%(")[0]
    assert german in errors.group(1)
    assert "<table" not in html


@pytest.mark.parametrize(
    "query",
    [
        "investment=" + "9" * 5000,
        "investment=%00%01&industry=%FF&land_ha=nan&start=later",
        "investment=1e9&land_ha=inf&start=-1",
        "investment=200000000&investment=3&industry=electronics&start=6&land_ha=1e400",
        "land_mu=" + "1" * 100,
        "start=later",
    ],
)
def test_garbage_never_breaks_the_page(client, query):
    response = client.get(f"/de/incentives/estimator?{query}")
    assert response.status_code == 422


def test_later_start_counts_as_late(app, client):
    html = page(client.get(estimator_url("en", 200 * M, "electronics", "2", "later")))
    assert table(html)["Land price reduction"] == (pct(13, "en"), pct(18, "en"))
    assert "You plan to start after the deadline" in unescape(html)


# -- the estimate travels with the inquiry ----------------------------------------------------


def estimate_and_link(app, client, lang="en"):
    html = page(client.get(estimator_url(lang, 200 * M, "electronics", "3", 2)))
    return enquire_link(app, html, lang)


def test_estimate_travels_to_the_inquiry_the_email_and_the_crm(app, client):
    link = estimate_and_link(app, client)
    assert link.startswith("/en/inquiry?estimate=")
    form_page = page(client.get(link))
    assert "2026-1" in form_page  # the summary of the estimate on the form
    assert '<option selected value="electronics">' in form_page
    hidden = open_form(client, "en", link.removeprefix("/en/inquiry"))
    assert hidden["estimate"]
    response = send(client, hidden, "en", industry="electronics")
    assert response.status_code == 303

    rules = policy(app)
    # 3 ha = 45 mu exactly; two months after signing: four months early, three counted.
    expected = incentives.estimate(rules, Decimal(200 * M), "electronics", Decimal(45), 2)
    assert expected["total"]["land_price_pct"] == 21
    with app.app_context():
        inquiry = db.session.scalar(select(Inquiry))
        assert inquiry.estimate == json.loads(json.dumps(expected))
        note = db.session.scalar(
            select(OutboxEmail.body_text).where(OutboxEmail.kind == "inquiry_notification")
        )
        lead_id = inquiry.lead_id
    for label, value in [
        ("Land price reduction", "21%"),
        ("Permit fee reduction", "65%"),
        ("Incentive policy version", "2026-1"),
    ]:
        assert f"{translated(app, label, 'zh')}: {value}" in note
    assert translated(app, "%(mu)s mu", "zh", mu="45") in note

    staff = app.test_client()
    with app.app_context():
        cast = english_cast()
        sign_in_as(staff, cast.manager)
    lead_page = unescape(page(staff.get(f"/crm/leads/{lead_id}")))
    assert "Incentive estimate" in lead_page
    assert "Incentive policy version: 2026-1" in lead_page
    assert "Land price reduction: 21%" in lead_page
    assert "Planned investment: CN¥200,000,000" in lead_page


def test_a_tampered_estimate_is_ignored_and_the_inquiry_kept(app, client):
    link = estimate_and_link(app, client)
    token = parse_qs(urlsplit(link).query)["estimate"][0]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    form_page = page(client.get(f"/en/inquiry?estimate={forged}"))
    assert "2026-1" not in form_page
    hidden = open_form(client, "en")
    response = send(client, {**hidden, "estimate": forged}, "en")
    assert response.status_code == 303
    with app.app_context():
        inquiry = db.session.scalar(select(Inquiry))
        assert inquiry is not None and inquiry.estimate is None
        assert db.session.scalar(select(Lead)).company_name == answers()["company"]


def test_figures_from_the_browser_are_never_trusted(app, client):
    """Only signed inputs travel; the stored figures are the policy's, recomputed on submit."""
    hidden = open_form(client, "en", "?" + urlencode({"estimate": "x" * 2000}))
    assert hidden["estimate"] == ""
    link = estimate_and_link(app, client)
    hidden = open_form(client, "en", link.removeprefix("/en/inquiry"))
    send(client, {**hidden, "land_price_pct": "99"}, "en")
    with app.app_context():
        assert db.session.scalar(select(Inquiry)).estimate["total"]["land_price_pct"] == 21


def test_without_a_policy_in_force_the_page_says_so(app, client, monkeypatch):
    monkeypatch.setattr(incentives, "current_policy", lambda today: None)
    response = client.get(estimator_url("en", 200 * M, "electronics", "2", 6))
    html = unescape(page(response))
    assert response.status_code == 200
    assert "No incentive policy is in force at the moment" in html
    assert "<table" not in html and ENQUIRE not in html


def test_chinese_amounts_read_in_yi_yuan(client):
    """亿元 from 1亿 up, 万元 below, as Chinese investors count; the hint's example too."""
    html = unescape(page(client.get(estimator_url("zh", 150_000_000, "electronics", 30, 2))))
    assert "<dd>1.5亿元</dd>" in html
    assert "300万元" in html  # the land-intensity threshold, per mu
    assert "例如200,000,000（2亿元）" in html
    assert "150,000,000" not in html.split("<form", 1)[0]
