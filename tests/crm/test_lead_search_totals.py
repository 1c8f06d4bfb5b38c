"""A search matching more leads than the totals cap: the list says "more than", pages by the
sort index without losing or repeating a lead, and gives the exact figures when asked."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from core.extensions import db
from core.models import Lead
from crm.leads import filters
from tests.conftest import csrf_token
from tests.factories import make_cast, make_lead, signed_in

CAP = 5


@pytest.fixture
def cast(app):
    with app.app_context():
        return make_cast()


@pytest.fixture
def common(app, cast, monkeypatch):
    """Twelve leads matching "firm" (above a cap of 5), pages of 4, and one lead that does not."""
    monkeypatch.setattr(filters, "TOTALS_CAP", CAP)
    monkeypatch.setattr(filters, "PAGE_SIZE", 4)
    with app.app_context():
        base = datetime(2025, 1, 1, tzinfo=UTC)
        for n in range(12):
            lead = make_lead(f"Firm {n:02d}", email=f"f{n}@x.example", investment=1_000_000)
            # Pairs of equal creation times: the id breaks the tie across page edges.
            lead.created_at = base + timedelta(hours=n // 2)
        make_lead("Unrelated AG", email="u@x.example", investment=7_000_000)
        db.session.commit()


def companies(html: str) -> list[str]:
    return re.findall(r'<th scope="row"[^>]*>\s*<a href="[^"]*">([^<]*)</a>', html)


def totals(html: str) -> str:
    return " ".join(re.search(r'id="lead-totals">(.*?)</p>', html, re.S).group(1).split())


def english(app, client, user_id: int) -> None:
    signed_in(app, user_id, client)
    page = get(client, "/crm/leads")
    client.post("/crm/language", data={"lang": "en", "csrf_token": csrf_token(page)})


def get(client, url: str) -> str:
    response = client.get(url.replace("&amp;", "&"))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', html)
    return found.group(1) if found else None


def test_over_the_cap_the_list_says_more_than_and_offers_the_exact_totals(
    app, client, cast, common
):
    english(app, client, cast.manager)
    html = get(client, "/crm/leads?q=firm")
    said = totals(html)
    assert "More than 5 leads" in said and ",000" not in said  # no partial sum shown
    exact = re.search(r'href="([^"]+)" data-exact-totals', html).group(1)
    assert "q=firm" in exact and "totals=all" in exact
    said = totals(get(client, exact))
    assert "12 leads" in said and "12,000,000" in said
    assert "or all leads matching this filter (more than 5)" in html


def test_over_the_cap_pages_walk_every_match_once_in_order(app, client, cast, common):
    english(app, client, cast.manager)
    html = get(client, "/crm/leads?q=firm")
    pages = [companies(html)]
    seen = list(pages[0])
    while (after := link(html, "next")) is not None:
        html = get(client, after)
        pages.append(companies(html))
        seen += pages[-1]
    assert seen == [f"Firm {n:02d}" for n in range(11, -1, -1)]
    assert [len(p) for p in pages] == [4, 4, 4]
    back = get(client, link(html, "prev"))
    assert companies(back) == pages[1]


def test_over_the_cap_sorted_by_company(app, client, cast, common):
    english(app, client, cast.manager)
    html = get(client, "/crm/leads?q=firm&sort=company")
    seen = companies(html)
    while (after := link(html, "next")) is not None:
        html = get(client, after)
        seen += companies(html)
    assert seen == [f"Firm {n:02d}" for n in range(12)]


def test_under_the_cap_the_totals_stay_exact(app, client, cast, common):
    english(app, client, cast.manager)
    said = totals(get(client, "/crm/leads?q=unrelated"))
    assert "1 lead" in said and "7,000,000" in said
    # A plain list (no search) counts from the index, whatever the cap.
    assert "13 leads" in totals(get(client, "/crm/leads"))


def test_a_page_past_the_end_of_a_common_search_is_empty_not_an_error(app, client, cast, common):
    english(app, client, cast.manager)
    html = get(client, "/crm/leads?q=firm")
    while (after := link(html, "next")) is not None:
        last = after
        html = get(client, after)
    with app.app_context():
        into = db.session.scalar(select(Lead.id).where(Lead.company_name == "Unrelated AG"))
        db.session.execute(
            update(Lead).where(Lead.company_name < "Firm 04").values(merged_into_id=into)
        )
        db.session.commit()
    # The last page's leads were merged away: its link answers with no rows, and "more than".
    html = get(client, last)
    assert companies(html) == [] and "More than 5 leads" in totals(html)
