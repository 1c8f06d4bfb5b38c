"""The land inventory and plot pages: filters, sorting, units, site plan, bad input, query count."""

import html as html_lib
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import event, select
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.i18n import LANGUAGES
from core.models import UTILITIES, Plot, PlotUtility
from core.units import M2_PER_MU
from tests.site.test_content import ROOT as CONTENT_ROOT

LANGS = list(LANGUAGES)


# -- helpers -----------------------------------------------------------------


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def listed(html: str) -> list[str]:
    """Plot codes in the results list, in order (the site plan is not the list)."""
    match = re.search(r'<ol class="plot-results".*?</ol>', html, re.S)
    if not match:
        return []
    return re.findall(r'<h4><a href="/\w+/land/([^"]+)">', match.group(0))


def card(html: str, code: str) -> str:
    """The results-list entry of one plot."""
    match = re.search(rf'<li class="plot-card">(?:(?!</li>).)*?/land/{code}".*?</li>', html, re.S)
    assert match, f"{code} is not in the list"
    return match.group(0)


def plan(html: str) -> str:
    match = re.search(r'<svg class="site-plan-svg".*?</svg>', html, re.S)
    assert match, "no site plan"
    return match.group(0)


def plan_links(html: str) -> dict[str, str]:
    """Code -> class attribute of each plot link on the site plan."""
    return dict(re.findall(r'<a href="/\w+/land/([^"]+)" class="([^"]+)"', plan(html)))


def notes(html: str) -> list[str]:
    return [
        html_lib.unescape(n) for n in re.findall(r'<p class="filter-note"[^>]*>(.*?)</p>', html)
    ]


def all_plots(app) -> list[Plot]:
    with app.app_context():
        plots = db.session.scalars(select(Plot).options(selectinload(Plot.utilities))).all()
        db.session.expunge_all()
        return plots


def codes(plots) -> list[str]:
    return sorted(p.code for p in plots)


def shanghai_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def set_utilities(app, code: str, **states) -> None:
    """Give every utility of a plot a state; name=(state, date) overrides one utility."""
    with app.app_context():
        plot = db.session.scalar(select(Plot).where(Plot.code == code))
        for utility in plot.utilities:
            state, ready_on = states.get(utility.utility, ("ready", date(2026, 1, 1)))
            utility.state, utility.ready_on = state, ready_on
        db.session.commit()


def add_plots(app, count: int, prefix: str = "T") -> None:
    with app.app_context():
        for i in range(count):
            plot = Plot(
                code=f"{prefix}-{i:02d}",
                zone="south",
                area_m2=Decimal(10000 + i),
                land_use="industrial",
                price_per_mu=Decimal(150000),
                status="available",
                outline=f"{10 + i},600 {15 + i},600 {15 + i},605 {10 + i},605",
                notes={},
            )
            plot.utilities = [
                PlotUtility(utility=name, position=n, state="planned", ready_on=date(2027, 6, 30))
                for n, name in enumerate(UTILITIES)
            ]
            db.session.add(plot)
        db.session.commit()


def count_statements(app, client, url: str) -> int:
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


# -- the list ------------------------------------------------------------------


def test_land_page_lists_every_plot_with_count_title_and_description(app, client):
    plots = all_plots(app)
    assert len(plots) >= 25
    html = page(client, "/en/land")
    assert sorted(listed(html)) == codes(plots)
    assert f"{len(plots)} of {len(plots)} plots" in html
    assert re.search(r"<title>Land and plots · ", html)
    assert re.search(r'<meta name="description" content="[^"]{40,}">', html)
    assert 'method="get"' in html and 'action="/en/land"' in html


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("zone=south", lambda p: p.zone == "south"),
        ("zone=north", lambda p: p.zone == "north"),
        ("land_use=logistics", lambda p: p.land_use == "logistics"),
        ("land_use=research", lambda p: p.land_use == "research"),
        ("status=reserved", lambda p: p.status == "reserved"),
        ("status=available", lambda p: p.status == "available"),
        ("min_ha=5", lambda p: p.area_m2 >= 50000),
        ("max_ha=3", lambda p: p.area_m2 <= 30000),
        ("min_ha=3.5&max_ha=5.6", lambda p: 35000 <= p.area_m2 <= 56000),
    ],
)
def test_each_filter_keeps_exactly_the_matching_plots(app, client, query, keep):
    plots = all_plots(app)
    expected = codes(p for p in plots if keep(p))
    assert expected, "the demo data should have plots for this filter"
    html = page(client, f"/en/land?{query}")
    assert sorted(listed(html)) == expected
    assert f"{len(expected)} of {len(plots)} plots" in html


def test_area_range_in_mu_on_chinese_pages_is_exact(app, client):
    plots = all_plots(app)
    sizes = sorted({p.area_mu for p in plots})
    size = sizes[len(sizes) // 2]
    expected = codes(p for p in plots if p.area_mu == size)
    html = page(client, f"/zh/land?min_mu={size.normalize()}&max_mu={size.normalize()}")
    assert sorted(listed(html)) == expected


def test_area_bounds_accept_a_decimal_comma(app, client):
    expected = codes(p for p in all_plots(app) if p.area_m2 >= 35000)
    assert sorted(listed(page(client, "/de/land?min_ha=3,5"))) == expected
    assert sorted(listed(page(client, "/en/land?min_ha=3,5"))) == expected


def test_readiness_filter_requires_every_utility_ready_by_then(app, client):
    today = shanghai_today()
    set_utilities(app, "N-02")
    set_utilities(app, "N-03", gas=("under_construction", today + timedelta(days=90)))
    set_utilities(app, "N-05", sewage=("under_construction", today + timedelta(days=300)))
    set_utilities(app, "N-06", power=("planned", None))
    now = listed(page(client, "/en/land?ready=now"))
    six = listed(page(client, "/en/land?ready=6m"))
    twelve = listed(page(client, "/en/land?ready=12m"))
    assert "N-02" in now and "N-03" not in now
    assert {"N-02", "N-03"} <= set(six) and "N-05" not in six
    assert {"N-02", "N-03", "N-05"} <= set(twelve) and "N-06" not in twelve
    plots = {p.code: p for p in all_plots(app)}
    assert sorted(now) == codes(p for p in plots.values() if p.fully_serviced)
    assert set(now) <= set(six) <= set(twelve)
    for code in twelve:
        assert plots[code].ready_on is not None or plots[code].fully_serviced


def _sort_key(sort: str):
    return {
        "code": lambda p: p.code,
        "area_asc": lambda p: (p.area_m2, p.code),
        "area_desc": lambda p: (-p.area_m2, p.code),
        "price_asc": lambda p: (p.price_per_mu, p.code),
        "price_desc": lambda p: (-p.price_per_mu, p.code),
        "ready": lambda p: (p.ready_on is None, p.ready_on or date.max, p.code),
    }[sort]


@pytest.mark.parametrize(
    "sort", ["code", "area_asc", "area_desc", "price_asc", "price_desc", "ready"]
)
def test_each_sort_order(app, client, sort):
    set_utilities(app, "S-03", water=("planned", None))  # one plot without a date sorts last
    expected = [p.code for p in sorted(all_plots(app), key=_sort_key(sort))]
    assert listed(page(client, f"/en/land?sort={sort}")) == expected


def test_combined_filters_and_sort(app, client):
    query = "zone=north&land_use=industrial&status=available&min_ha=2.6&max_ha=6&sort=area_desc"
    expected = [
        p.code
        for p in sorted(all_plots(app), key=_sort_key("area_desc"))
        if p.zone == "north"
        and p.land_use == "industrial"
        and p.status == "available"
        and 26000 <= p.area_m2 <= 60000
    ]
    assert len(expected) >= 2
    html = page(client, f"/en/land?{query}")
    assert listed(html) == expected
    # The form shows back what was chosen, so a reload or a new filter keeps it.
    assert '<option value="north" selected>' in html
    assert '<option value="area_desc" selected>' in html
    assert 'name="min_ha" value="2.6"' in html


def test_no_match_says_so_and_offers_to_clear(client):
    html = page(client, "/en/land?zone=south&land_use=research")
    assert listed(html) == []
    assert "No plot matches these filters." in html
    assert re.search(r'<a class="button button-secondary" href="/en/land">Clear all filters', html)


def test_filters_survive_a_language_switch_in_the_page_unit(app, client):
    zh = page(client, "/zh/land?min_mu=75&zone=north")
    assert 'href="/de/land?min_mu=75&amp;zone=north&amp;set_lang=1"' in zh
    de = page(client, "/de/land?min_mu=75&zone=north")
    assert listed(de) == listed(zh)
    assert sorted(listed(de)) == codes(
        p for p in all_plots(app) if p.zone == "north" and p.area_m2 >= 50000
    )
    # 75 mu is 5 ha: the German form shows it in hectares, ready to be sent again.
    assert 'name="min_ha" value="5"' in de
    assert listed(page(client, "/de/land?min_ha=5&zone=north")) == listed(de)


# -- units per language --------------------------------------------------------


def test_units_per_language(client):
    zh = page(client, "/zh/land?zone=north&sort=code")
    zh_card = card(zh, "N-01")
    assert re.search(r"82\.50?\s*(亩|mu)", zh_card)
    assert " ha" not in zh_card and "m²" not in zh_card
    assert re.search(r"(亩|mu)", plan(zh))
    de = page(client, "/de/land?zone=north&sort=code")
    de_card = card(de, "N-01")
    assert "5,50 ha (55.000 m²)" in de_card
    assert "285,00" in de_card and "m²" in de_card  # price per m² on European pages
    en = page(client, "/en/land/N-01")
    assert "5.50 ha (55,000 m²)" in en
    assert "15,675,000" in en  # indicative total: 82.5 mu at 190,000 per mu


# -- bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "min_ha=abc",
        "max_ha=-5",
        "min_ha=1e400",
        "min_ha=NaN",
        "max_ha=Infinity",
        "min_ha=99999999999",
        "min_ha=" + "9" * 5000,
        "min_ha=%01",
        "zone=west",
        "zone=%E2%80%AE",
        "land_use=%3Cscript%3Ealert(1)%3C/script%3E",
        "status=sold",
        "ready=soon",
        "sort=random",
        "sort=code;drop%20table%20plot",
    ],
)
def test_invalid_parameters_are_ignored_with_a_message(app, client, query):
    html = page(client, f"/en/land?{query}")
    assert notes(html), "the visitor should be told what was ignored"
    assert "<script>alert" not in html
    assert len(listed(html)) == len(all_plots(app))


def test_letters_in_area_keep_the_other_filters(app, client):
    html = page(client, "/en/land?zone=north&min_ha=lots")
    assert sorted(listed(html)) == codes(p for p in all_plots(app) if p.zone == "north")
    assert any("“lots” is not a number" in n for n in notes(html))
    assert 'name="min_ha" value="lots"' in html  # kept so the visitor can correct it


def test_minimum_above_maximum_is_swapped_and_said(app, client):
    html = page(client, "/en/land?min_ha=6&max_ha=3")
    assert sorted(listed(html)) == codes(p for p in all_plots(app) if 30000 <= p.area_m2 <= 60000)
    assert any("swapped" in n for n in notes(html))
    assert 'name="min_ha" value="3"' in html and 'name="max_ha" value="6"' in html


def test_absurd_area_is_ignored(app, client):
    html = page(client, "/en/land?max_ha=5000000")
    assert any("larger than the whole park" in n for n in notes(html))
    assert len(listed(html)) == len(all_plots(app))


def test_good_parameters_give_no_message(client):
    html = page(client, "/en/land?zone=north&min_ha=1&max_ha=9&ready=12m&status=available")
    assert notes(html) == []


# -- the site plan ---------------------------------------------------------------


def test_site_plan_has_one_named_link_per_plot_and_a_legend(app, client):
    plots = all_plots(app)
    html = page(client, "/en/land")
    svg = plan(html)
    links = plan_links(html)
    assert sorted(links) == codes(plots)
    by_code = {p.code: p for p in plots}
    for code, classes in links.items():
        assert f"plan-plot-{by_code[code].status}" in classes
        assert "is-dimmed" not in classes
    assert len(re.findall(r'<a href="[^"]+" class="plan-plot[^"]*" aria-label="Plot ', svg)) == len(
        plots
    )
    assert svg.count("<title>Plot ") == len(plots)
    assert 'role="group"' in svg and re.search(r'viewBox="0 -?\d+ ', svg)
    assert "style=" not in svg
    legend = re.search(r'<ul class="plan-legend".*?</ul>', html, re.S).group(0)
    for word in ("Available", "Reserved", "Allocated"):
        assert word in legend
    # Zones, river and roads come from content, with their names.
    assert "North area" in svg and "Qingshui River" in svg and "Yingbin Avenue" in svg


def test_site_plan_dims_plots_that_do_not_match(app, client):
    html = page(client, "/en/land?zone=south")
    links = plan_links(html)
    assert len(links) == len(all_plots(app))
    for code, classes in links.items():
        assert ("is-dimmed" in classes) == (not code.startswith("S-")), code
    assert "Faded: does not match your filters" in html


def test_plan_features_follow_the_content_file(client):
    data = yaml.safe_load((CONTENT_ROOT / "data" / "plots.yaml").read_text(encoding="utf-8"))
    svg = plan(page(client, "/fr/land"))
    top = data["plan"].get("top", 0)
    height = data["plan"]["height"] - top
    assert f'viewBox="0 {top} {data["plan"]["width"]} {height}"' in svg
    for feature in data["plan"]["features"]:
        assert f'points="{feature["points"]}"' in svg
        assert feature["name"]["fr"] in html_lib.unescape(svg)


# -- the plot page -------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_plot_page_in_every_language(app, client, lang):
    data = yaml.safe_load((CONTENT_ROOT / "data" / "plots.yaml").read_text(encoding="utf-8"))
    seed = next(p for p in data["plots"] if p["code"] == "N-01")
    html = page(client, f"/{lang}/land/N-01")
    assert f'<html lang="{LANGUAGES[lang]["tag"]}">' in html
    assert re.search(r"<title>[^<]*N-01[^<]*</title>", html)
    assert re.search(r'<meta name="description" content="[^"]*N-01[^"]*">', html)
    assert seed["notes"][lang] in html_lib.unescape(html)
    # N-01 is allocated: no question about it, but the available plots most like it.
    assert f'href="/{lang}/inquiry?plot=N-01"' not in html
    assert re.search(r'<ul class="similar-plots"[^>]*>\s*<li><a href="/' + lang + r"/land/", html)
    table = re.search(r'<table class="table readiness-table">.*?</table>', html, re.S).group(0)
    assert len(re.findall(r'<th scope="row">', table)) == len(UTILITIES)
    assert seed["utilities"]["power"]["capacity"] in table
    links = plan_links(html)
    assert "is-current" in links["N-01"]
    assert sum("is-current" in c for c in links.values()) == 1
    if lang == "zh":
        assert re.search(r"82\.50?\s*(亩|mu)", html) and "55,000 m²" not in html
    else:
        assert "m²" in html and re.search(r"\dha\b|\sha\b", html)


def test_plot_page_facts_in_english(client):
    html = page(client, "/en/land/N-01")
    for text in (
        "This plot is no longer on offer",
        "North area",
        "Industrial",
        "CN¥190,000 per mu",
    ):
        assert text in html
    assert "CN¥285.00 per m²" in html and "Ask about this plot" not in html
    available = page(client, "/en/land/N-02")
    assert "Ask about this plot" in available and 'href="/en/inquiry?plot=N-02"' in available


@pytest.mark.parametrize(
    "code", ["X-99", "N-1", "N-01x", "a" * 200, "N%2001", "%00", "N-01;select", "北-01"]
)
def test_unknown_plot_is_404(client, code):
    response = client.get(f"/en/land/{code}")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_plot_code_in_other_case_redirects_to_the_real_one(client):
    response = client.get("/de/land/n-01")
    assert response.status_code == 301
    assert response.headers["Location"] == "/de/land/N-01"


# -- statuses change in the CRM ----------------------------------------------------


def test_a_status_changed_in_the_database_shows_on_both_pages(app, client):
    with app.app_context():
        plot = db.session.scalar(select(Plot).where(Plot.code == "N-02"))
        assert plot.status == "available"
        plot.status = "allocated"
        db.session.commit()
    land = page(client, "/en/land")
    assert 'class="badge badge-allocated">Allocated' in card(land, "N-02")
    assert "plan-plot-allocated" in plan_links(land)["N-02"]
    assert "N-02" not in listed(page(client, "/en/land?status=available"))
    assert "N-02" in listed(page(client, "/en/land?status=allocated"))
    plot_page = page(client, "/en/land/N-02")
    assert '<span class="badge badge-allocated">Allocated</span>' in plot_page
    assert "<dt>Status</dt><dd>Allocated</dd>" in plot_page


# -- cost --------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/en/land", "/zh/land?zone=south&ready=12m&sort=ready"])
def test_statement_count_does_not_grow_with_the_number_of_plots(app, client, url):
    before = count_statements(app, client, url)
    add_plots(app, 40)
    after = count_statements(app, client, url)
    assert after == before
    assert before <= 4


def test_plot_page_statement_count_is_small(app, client):
    assert count_statements(app, client, "/en/land/N-01") <= 4


def test_pages_answer_304_when_unchanged(client):
    first = client.get("/en/land?zone=north")
    again = client.get("/en/land?zone=north", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_area_bound_conversion_uses_the_exact_mu(app, client):
    # A bound of exactly one plot's area in mu keeps that plot on both sides of the range.
    plot = next(p for p in all_plots(app) if p.code == "N-01")
    mu = (plot.area_m2 / M2_PER_MU).normalize()
    assert plot.code in listed(page(client, f"/zh/land?min_mu={mu}"))
    assert plot.code in listed(page(client, f"/zh/land?max_mu={mu}"))
