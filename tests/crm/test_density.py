"""Screens made for work: the board's quick filter and each user's columns of the lead list."""

import re
from datetime import date

from core.extensions import db
from core.models import Event, User
from tests.conftest import csrf_token
from tests.factories import make_lead, sign_in_as


def _cards(html: str) -> list[str]:
    return re.findall(r'class="board-card-title"[^>]*><a href="[^"]+">([^<]+)</a>', html)


def _fair() -> int:
    today = date.today()
    fair = Event(slug="hannover", name={"en": "Hannover Messe"}, starts_on=today, ends_on=today)
    db.session.add(fair)
    db.session.flush()
    return fair.id


def test_board_quick_filter_by_owner_event_and_text(app, client, cast):
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        fair_id = _fair()
        make_lead("Keller Antriebstechnik GmbH", owner=officer).event_id = fair_id
        make_lead("苏州恒力精密机械有限公司", owner=officer)
        make_lead("Société Lyonnaise", owner=db.session.get(User, cast.teammate))
        db.session.commit()
        sign_in_as(client, cast.manager)
    every = client.get("/crm/board").get_data(as_text=True)
    assert len(_cards(every)) == 3
    assert _cards(client.get(f"/crm/board?event={fair_id}").get_data(as_text=True)) == [
        "Keller Antriebstechnik GmbH"
    ]
    assert _cards(client.get("/crm/board?q=恒力").get_data(as_text=True)) == [
        "苏州恒力精密机械有限公司"
    ]
    # Case does not matter, and % or _ are letters, not wildcards.
    assert len(_cards(client.get("/crm/board?q=KELLER").get_data(as_text=True))) == 1
    assert _cards(client.get("/crm/board?q=%25").get_data(as_text=True)) == []
    owned = client.get(f"/crm/board?owner={cast.teammate}&q=soci").get_data(as_text=True)
    assert _cards(owned) == ["Société Lyonnaise"]
    # The chosen filter is kept in the form, in "show all" links and the list link.
    assert 'value="soci"' in owned and f'<option value="{cast.teammate}" selected' in owned


def test_board_cards_link_to_their_lead(app, client, cast):
    with app.app_context():
        lead = make_lead("Keller Antriebstechnik GmbH", owner=db.session.get(User, cast.officer))
        db.session.commit()
        lead_id = lead.id
        sign_in_as(client, cast.officer)
    html = client.get("/crm/board").get_data(as_text=True)
    assert f'<a href="/crm/leads/{lead_id}">Keller Antriebstechnik GmbH</a>' in html


def test_board_filter_nonsense_is_named_never_a_500(app, client, cast):
    with app.app_context():
        make_lead("Keller Antriebstechnik GmbH", owner=db.session.get(User, cast.officer))
        db.session.commit()
        sign_in_as(client, cast.manager)
    for query, message in (
        ("event=abc", "The event filter was not understood and was ignored."),
        ("q=" + "x" * 101, "The search text is longer than 100 characters and was ignored."),
        ("show=nowhere", "There is no such column; the board shows its usual cards."),
        ("event=99999999999999", "The event filter was not understood and was ignored."),
    ):
        page = client.get(f"/crm/board?{query}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200, query
        assert message in html and "Keller Antriebstechnik GmbH" in html, query


def test_a_confidential_lead_is_found_on_the_board_by_code_name_only(app, client, cast):
    with app.app_context():
        lead = make_lead("Keller Antriebstechnik GmbH", owner=db.session.get(User, cast.officer))
        lead.confidential = True
        db.session.commit()
        code = lead.code_name
        sign_in_as(client, cast.teammate)  # same team, not its owner: sees the code name
    assert _cards(client.get("/crm/board").get_data(as_text=True)) == [code]
    assert _cards(client.get("/crm/board?q=keller").get_data(as_text=True)) == []
    assert _cards(client.get(f"/crm/board?q={code[:5]}").get_data(as_text=True)) == [code]


def _headers(html: str) -> list[str]:
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    # The tick-box column's header is a hidden word: only the named columns count.
    return [text for text in re.findall(r'<th scope="col"[^>]*>([^<]*)<', head) if text]


def test_each_user_chooses_the_lead_list_columns(app, client, cast):
    with app.app_context():
        make_lead("Keller Antriebstechnik GmbH", owner=db.session.get(User, cast.officer))
        db.session.commit()
        sign_in_as(client, cast.officer)
    page = client.get("/crm/leads?sort=company")
    assert _headers(page.get_data(as_text=True)) == [
        "Company", "Stage", "Owner", "Country", "Industry", "Investment", "Created",
        "Last contact", "Contact",
    ]  # fmt: skip
    token = csrf_token(page.get_data(as_text=True))
    saved = client.post(
        "/crm/leads/columns",
        data={"csrf_token": token, "column": ["contact", "stage"], "query": "sort=company"},
    )
    assert saved.status_code == 302 and saved.headers["Location"] == "/crm/leads?sort=company"
    html = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Your choice of columns is saved." in html
    assert _headers(html) == ["Company", "Stage", "Contact"]  # the list's order, not the ticks'
    with app.app_context():
        assert db.session.get(User, cast.officer).lead_columns == ["stage", "contact"]
        assert db.session.get(User, cast.teammate).lead_columns is None
    # Another member of staff keeps every column.
    other = app.test_client()
    with app.app_context():
        sign_in_as(other, cast.teammate)
    assert len(_headers(other.get("/crm/leads").get_data(as_text=True))) == 9
    # Back to every column.
    client.post("/crm/leads/columns", data={"csrf_token": token, "reset": "1"})
    assert len(_headers(client.get("/crm/leads").get_data(as_text=True))) == 9


def test_a_column_that_does_not_exist_changes_nothing(app, client, cast):
    with app.app_context():
        make_lead("Keller Antriebstechnik GmbH", owner=db.session.get(User, cast.officer))
        db.session.commit()
        sign_in_as(client, cast.officer)
    token = csrf_token(client.get("/crm/leads").get_data(as_text=True))
    refused = client.post(
        "/crm/leads/columns",
        data={"csrf_token": token, "column": ["stage", "password_hash"], "query": "//evil.example"},
        follow_redirects=True,
    )
    assert refused.status_code == 200
    assert "Some of the chosen columns do not exist; nothing was changed." in refused.get_data(
        as_text=True
    )
    assert refused.request.path == "/crm/leads"
    with app.app_context():
        assert db.session.get(User, cast.officer).lead_columns is None
    no_csrf = client.post("/crm/leads/columns", data={"column": ["stage"]})
    assert no_csrf.status_code == 400


def test_a_confidential_lead_shows_no_contact_in_any_column_choice(app, client, cast):
    with app.app_context():
        lead = make_lead("Keller Antriebstechnik GmbH", owner=db.session.get(User, cast.officer))
        lead.confidential = True
        db.session.get(User, cast.teammate).lead_columns = ["stage", "contact"]
        db.session.commit()
        code = lead.code_name
        sign_in_as(client, cast.teammate)
    html = client.get("/crm/leads").get_data(as_text=True)
    assert _headers(html) == ["Company", "Stage", "Contact"]
    assert code in html and "Keller" not in html and "anna@mueller.example" not in html


def test_lead_list_filters_sit_in_a_bar_with_the_rest_folded(app, client, cast):
    with app.app_context():
        sign_in_as(client, cast.officer)
    html = client.get("/crm/leads?country=DE").get_data(as_text=True)
    bar, more = html.split('<details class="lead-filter-more">', 1)
    assert 'id="filter-q"' in bar and 'id="filter-owner"' in bar and 'id="filter-event"' in bar
    assert 'id="filter-country"' in more and 'id="filter-country"' not in bar
    assert "More filters (1 in use)" in more
