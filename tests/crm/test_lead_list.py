"""The lead list: filters, search, sorting, keyset pages, totals, saved filters, roles, bad URLs."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from core.code_names import code_name_for
from core.extensions import db
from core.models import Contact, Event, Lead, SavedFilter
from tests.conftest import csrf_token
from tests.factories import make_cast, make_lead, signed_in


@pytest.fixture
def cast(app):
    with app.app_context():
        return make_cast()


def companies(html: str) -> list[str]:
    """The company (or code name) in each row of the list, in order."""
    return re.findall(r'<th scope="row"[^>]*>\s*<a href="[^"]*">([^<]*)</a>', html)


def page(client, query: str = "") -> str:
    response = client.get("/crm/leads" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def add(app, company, **kwargs):
    with app.app_context():
        lead = make_lead(company, **kwargs)
        db.session.commit()
        return lead.id


def update(app, lead_id, **values):
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        for key, value in values.items():
            setattr(lead, key, value)
        db.session.commit()


def test_anonymous_is_sent_to_login(client):
    assert client.get("/crm/leads").status_code == 302


def test_every_role_opens_the_list(app, client, cast):
    add(app, "Alpha GmbH")
    for user_id in cast.by_role().values():
        signed_in(app, user_id, client)
        assert client.get("/crm/leads").status_code == 200


def test_merged_leads_are_hidden(app, client, cast):
    keep = add(app, "Keep GmbH")
    gone = add(app, "Gone GmbH", email="gone@x.example")
    update(app, gone, merged_into_id=keep)
    html = page(signed_in(app, cast.manager, client))
    assert companies(html) == ["Keep GmbH"]


def test_filters_by_stage_owner_team_source_country_language(app, client, cast):
    with app.app_context():
        from core.models import User

        officer = db.session.get(User, cast.officer)
        other = db.session.get(User, cast.other_officer)
        make_lead("A1 GmbH", owner=officer, stage="new", country="DE", language="de")
        make_lead("B2 SARL", owner=other, stage="qualified", country="FR", language="fr",
                  source="event", email="b@b.example")  # fmt: skip
        make_lead("C3 Ltd", stage="contacted", country="GB", language="en", email="c@c.example")
        db.session.commit()
    signed_in(app, cast.manager, client)
    assert sorted(companies(page(client, "stage=new&stage=qualified"))) == ["A1 GmbH", "B2 SARL"]
    assert companies(page(client, f"owner={cast.officer}")) == ["A1 GmbH"]
    assert companies(page(client, "owner=unassigned")) == ["C3 Ltd"]
    assert companies(page(client, f"team={cast.team_b}")) == ["B2 SARL"]
    assert companies(page(client, "source=event")) == ["B2 SARL"]
    assert companies(page(client, "country=gb")) == ["C3 Ltd"]
    assert companies(page(client, "language=fr")) == ["B2 SARL"]


def test_filters_by_industry_band_and_response(app, client, cast):
    small = add(app, "Small GmbH", investment=20_000_000)
    big = add(app, "Big AG", investment=None, email="big@x.example")
    answered = add(app, "Answered SA", investment=300_000_000, email="a@x.example")
    now = datetime.now(UTC)
    update(app, big, planned_investment=Decimal(1_500_000_000), industry="chemicals")
    update(app, small, response_due_at=now - timedelta(days=1))
    update(app, answered, first_response_at=now, response_due_at=now - timedelta(days=1))
    signed_in(app, cast.manager, client)
    assert companies(page(client, "industry=chemicals")) == ["Big AG"]
    assert companies(page(client, "band=lt50m")) == ["Small GmbH"]
    assert companies(page(client, "band=200m-500m")) == ["Answered SA"]
    assert companies(page(client, "band=gte1b")) == ["Big AG"]
    assert "Answered SA" not in companies(page(client, "no_response=1"))
    assert companies(page(client, "overdue=1")) == ["Small GmbH"]


def test_filters_by_event(app, client, cast):
    with app.app_context():
        fair = Event(
            slug="fair",
            name={"en": "Fair"},
            starts_on=date(2026, 12, 9),
            ends_on=date(2026, 12, 11),
        )
        db.session.add(fair)
        db.session.commit()
        fair_id = fair.id
    met = add(app, "Met At Fair GmbH")
    add(app, "Web Only SA", email="web@x.example")
    update(app, met, event_id=fair_id)
    signed_in(app, cast.manager, client)
    html = page(client, f"event={fair_id}")
    assert companies(html) == ["Met At Fair GmbH"]
    assert f'<option value="{fair_id}" selected>Fair</option>' in html
    assert companies(page(client, "event=none")) == ["Web Only SA"]
    assert companies(page(client, "event=999")) == []


def test_filters_by_created_and_last_contact_dates(app, client, cast):
    old = add(app, "Old GmbH")
    new = add(app, "New GmbH", email="n@x.example")
    # Shanghai is UTC+8: 20:00 UTC on 1 March is already 2 March there.
    update(app, old, created_at=datetime(2025, 3, 1, 20, 0, tzinfo=UTC))
    update(app, new, created_at=datetime(2025, 6, 1, 3, 0, tzinfo=UTC),
           last_contact_at=datetime(2025, 6, 5, 3, 0, tzinfo=UTC))  # fmt: skip
    signed_in(app, cast.manager, client)
    assert companies(page(client, "created_from=2025-03-02&created_to=2025-03-02")) == ["Old GmbH"]
    assert companies(page(client, "created_to=2025-03-01")) == []
    assert companies(page(client, "created_from=2025-05-01")) == ["New GmbH"]
    assert companies(page(client, "contact_from=2025-06-05&contact_to=2025-06-05")) == ["New GmbH"]


def test_sorting_each_way(app, client, cast):
    a = add(app, "Beta GmbH", investment=10_000_000, stage="qualified")
    b = add(app, "Alpha GmbH", investment=90_000_000, stage="new", email="b@x.example")
    add(app, "Gamma GmbH", investment=None, stage="signed", email="c@x.example")  # never contacted
    update(app, a, last_contact_at=datetime(2025, 1, 2, tzinfo=UTC))
    update(app, b, last_contact_at=datetime(2025, 1, 1, tzinfo=UTC))
    signed_in(app, cast.manager, client)
    assert companies(page(client, "sort=company")) == ["Alpha GmbH", "Beta GmbH", "Gamma GmbH"]
    assert companies(page(client, "sort=company&dir=desc"))[0] == "Gamma GmbH"
    assert companies(page(client, "sort=stage")) == ["Alpha GmbH", "Beta GmbH", "Gamma GmbH"]
    assert companies(page(client, "sort=investment")) == ["Alpha GmbH", "Beta GmbH", "Gamma GmbH"]
    assert companies(page(client, "sort=last_contact&dir=desc")) == [
        "Beta GmbH",
        "Alpha GmbH",
        "Gamma GmbH",
    ]
    assert companies(page(client, "sort=created&dir=asc")) == [
        "Beta GmbH",
        "Alpha GmbH",
        "Gamma GmbH",
    ]


def test_search_finds_two_character_chinese_names_and_latin_any_case(app, client, cast):
    add(app, "苏州精密机械有限公司", contact_name="张三", email="zs@example.cn", country="CN",
        language="zh")  # fmt: skip
    add(app, "Müller Präzisionstechnik GmbH", contact_name="Anna Müller", phone="+498912345678")
    add(app, "张三丰贸易有限公司", contact_name="李四", email="ls@example.cn", language="zh")
    signed_in(app, cast.manager, client)
    assert sorted(companies(page(client, "q=张三"))) == [
        "张三丰贸易有限公司",
        "苏州精密机械有限公司",
    ]
    assert companies(page(client, "q=MÜLLER")) == ["Müller Präzisionstechnik GmbH"]
    assert companies(page(client, "q=anna+präzision")) == ["Müller Präzisionstechnik GmbH"]
    assert companies(page(client, "q=ZS%40EXAMPLE.cn")) == ["苏州精密机械有限公司"]
    assert companies(page(client, "q=%2B4989")) == ["Müller Präzisionstechnik GmbH"]
    # LIKE wildcards typed by the user are literal characters, not patterns.
    assert companies(page(client, "q=%25")) == []
    assert companies(page(client, "q=_")) == []


# Plain lists page through an index; searches through one windowed scan that also totals.
@pytest.mark.parametrize("search", ["", "q=FIRM"])
def test_keyset_pages_next_and_previous(app, client, cast, search):
    with app.app_context():
        base = datetime(2025, 1, 1, tzinfo=UTC)
        for n in range(120):
            lead = make_lead(f"Firm {n:03d}", email=f"f{n}@x.example")
            # Pairs of equal creation times test the id tie-break across page edges.
            lead.created_at = base + timedelta(hours=n // 2)
        make_lead("Unrelated AG", email="u@x.example")
        db.session.commit()
    signed_in(app, cast.manager, client)
    first = page(client, search)
    names = companies(first)
    assert len(names) == 50 and 'rel="prev"' not in first
    seen = list(names)
    html = first
    while 'rel="next"' in html:
        url = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
        html = client.get(url).get_data(as_text=True)
        seen += companies(html)
    if not search:
        seen.remove("Unrelated AG")  # the newest lead, on the first page
    assert len(seen) == 120 and len(set(seen)) == 120
    assert seen == sorted(seen, reverse=True)  # newest first; ties by id, also descending
    totals = re.search(r'id="lead-totals">(.*?)</p>', html, re.S).group(1)
    assert ("120" if search else "121") in totals
    previous = re.search(r'rel="prev" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    back = client.get(previous).get_data(as_text=True)
    offset = 0 if search else 1  # the unrelated lead shifts the plain list by one
    assert companies(back) == seen[50 - offset : 100 - offset]


def test_keyset_pages_keep_filter_and_sort(app, client, cast):
    with app.app_context():
        for n in range(120):
            make_lead(f"Co {n:03d}", email=f"c{n}@x.example", stage="new" if n % 2 else "lost")
        db.session.commit()
    signed_in(app, cast.manager, client)
    html = page(client, "stage=new&sort=company")
    url = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "stage=new" in url and "sort=company" in url
    rest = companies(client.get(url).get_data(as_text=True))
    assert companies(html) + rest == [f"Co {n:03d}" for n in range(1, 120, 2)]


def test_totals_count_and_sum_planned_or_lower_bound(app, client, cast):
    add(app, "One GmbH", investment=10_000_000)
    two = add(app, "Two GmbH", investment=20_000_000, email="t@x.example")
    add(app, "Three GmbH", investment=None, email="th@x.example")
    update(app, two, planned_investment=Decimal(50_000_000))
    signed_in(app, cast.manager, client)
    client.post("/crm/language", data={"lang": "en", "csrf_token": csrf_token(page(client))})
    html = page(client)
    totals = re.search(r'id="lead-totals">(.*?)</p>', html, re.S).group(1)
    assert "3 leads" in totals and "60,000,000" in totals
    totals = re.search(r'id="lead-totals">(.*?)</p>', page(client, "q=one"), re.S).group(1)
    assert "1 lead" in totals and "10,000,000" in totals


def test_officer_sees_only_team_leads(app, client, cast):
    with app.app_context():
        from core.models import User

        make_lead("Mine GmbH", owner=db.session.get(User, cast.officer))
        make_lead("Teammate GmbH", owner=db.session.get(User, cast.teammate), email="t@x.ex")
        make_lead("Other Team SA", owner=db.session.get(User, cast.other_officer), email="o@x.ex")
        db.session.commit()
    signed_in(app, cast.officer, client)
    assert sorted(companies(page(client))) == ["Mine GmbH", "Teammate GmbH"]
    # Filtering for the other team's owner cannot widen the scope.
    assert companies(page(client, f"owner={cast.other_officer}")) == []
    assert companies(page(client, "q=other")) == []


def test_leader_sees_only_liaison_leads_by_name(app, client, cast):
    with app.app_context():
        from core.models import User

        leader = db.session.get(User, cast.leader)
        make_lead("Secret Chemicals AG", liaison=leader, contact_name="Hans Geheim")
        make_lead("Not Mine GmbH", email="n@x.example")
        db.session.commit()
    html = page(signed_in(app, cast.leader, client))
    assert companies(html) == ["Secret Chemicals AG"] and "Hans Geheim" in html
    assert "Not Mine" not in html
    assert companies(page(client, "q=secret")) == ["Secret Chemicals AG"]
    assert "crm/leads/export" not in html


def test_a_confidential_lead_shows_its_code_name_to_others(app, client, cast):
    with app.app_context():
        from core.models import User

        mate = db.session.get(User, cast.teammate)
        hidden = make_lead("Geheim Pharma AG", owner=mate, contact_name="Eva Still")
        hidden.confidential = True
        make_lead("Open Werkzeug GmbH", owner=mate)
        db.session.commit()
        code = code_name_for(hidden.id, "zh")  # the cast reads Chinese: 翠竹-00001
    officer = page(signed_in(app, cast.officer, client))  # same team: both in scope
    assert sorted(companies(officer)) == sorted([code, "Open Werkzeug GmbH"])
    assert "Geheim" not in officer and "Eva Still" not in officer
    # A search by its name finds nothing: it must not tell whose code name is whose.
    assert companies(page(client, "q=geheim")) == []
    for user in (cast.teammate, cast.manager):  # its owner and a manager see the name
        html = page(signed_in(app, user, app.test_client()))
        assert "Geheim Pharma AG" in companies(html) and "Eva Still" in html


def test_saved_filters_are_mine_only(app, client, cast):
    signed_in(app, cast.officer, client)
    token = csrf_token(page(client))
    response = client.post(
        "/crm/leads/filters",
        data={"name": "German new", "query": "stage=new&country=DE&after=forged&evil=1",
              "csrf_token": token},
    )  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalars(select(SavedFilter)).one()
        assert saved.user_id == cast.officer
        assert saved.query == "stage=new&country=DE"
        saved_id = saved.id
    assert "German new" in page(client)
    assert 'href="/crm/leads?stage=new&amp;country=DE"' in page(client)
    signed_in(app, cast.teammate, client)
    html = page(client)
    assert "German new" not in html
    forbidden = client.post(
        f"/crm/leads/filters/{saved_id}/delete", data={"csrf_token": csrf_token(html)}
    )
    assert forbidden.status_code == 404
    signed_in(app, cast.officer, client)
    done = client.post(
        f"/crm/leads/filters/{saved_id}/delete", data={"csrf_token": csrf_token(page(client))}
    )
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(SavedFilter)).all() == []


def test_saved_filter_needs_a_name_and_csrf(app, client, cast):
    signed_in(app, cast.officer, client)
    token = csrf_token(page(client))
    client.post("/crm/leads/filters", data={"name": " ", "query": "", "csrf_token": token})
    client.post("/crm/leads/filters", data={"name": "x" * 81, "query": "", "csrf_token": token})
    assert client.post("/crm/leads/filters", data={"name": "ok"}).status_code == 400
    with app.app_context():
        assert db.session.scalars(select(SavedFilter)).all() == []


@pytest.mark.parametrize(
    "query",
    [
        "created_from=2025-13-45",
        "contact_to=yesterday",
        "stage=won",
        "owner=abc",
        "team=1e3",
        "event=fair",
        "band=huge",
        "language=xx",
        "source=%01",
        "country=Germany",
        "industry=%3Cscript%3E",
        "sort=drop+table&dir=sideways",
        "after=forged.cursor",
        "before=WzEsMl0.abc",
        "q=visible" + "x" * 300,
    ],
)
def test_malformed_filters_are_ignored_with_a_message(app, client, cast, query):
    add(app, "Visible GmbH")
    html = page(signed_in(app, cast.manager, client), query)
    if not query.startswith("q="):  # an over-long search is cut, not dropped
        assert companies(html) == ["Visible GmbH"]
    assert 'class="notice lead-list-problems" role="status"' in html


def test_cursor_from_another_sort_is_refused(app, client, cast):
    with app.app_context():
        for n in range(55):
            make_lead(f"Co {n:02d}", email=f"c{n}@x.example")
        db.session.commit()
    signed_in(app, cast.manager, client)
    html = page(client)
    cursor = re.search(r'rel="next" href="[^"]*after=([^"&]+)', html).group(1)
    other = page(client, f"sort=company&after={cursor}")
    assert "lead-list-problems" in other and len(companies(other)) == 50


def test_a_page_of_50_costs_the_same_statements_as_a_page_of_5(app, client, cast):
    with app.app_context():
        from core.models import User

        owner = db.session.get(User, cast.officer)
        for n in range(5):
            make_lead(f"Co {n}", owner=owner, email=f"c{n}@x.example")
        db.session.commit()
    signed_in(app, cast.manager, client)
    page(client)  # warm caches (plots, settings) outside the count

    def count_statements() -> int:
        statements = []
        with app.app_context():
            engine = db.engine

        def counter(*args):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", counter)
        try:
            page(client)
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        return len(statements)

    small = count_statements()
    with app.app_context():
        owners = [db.session.get(User, cast.officer), db.session.get(User, cast.teammate)]
        for n in range(60):
            lead = make_lead(f"More {n}", owner=owners[n % 2], email=f"m{n}@x.example")
            lead.contacts.append(Contact(name=f"Second {n}", language="en"))
        db.session.commit()
    assert count_statements() == small
    assert small <= 10
