"""Screens made for work at 1440×900: rows per screen on the lead list, the board's seven
columns, linked cards and a refused move in view; pictures for review with REVIEW_SHOTS set."""

import pytest

from tests.browser.conftest import enter_signed_in, review_shot, set_staff_language

pytestmark = pytest.mark.browser

WIDE = {"width": 1440, "height": 900}
STAGES = ("new", "contacted", "qualified", "site_visit", "negotiation", "signed", "lost")
COMPANIES = (
    ("苏州恒力精密机械有限公司", "Suzhou Hengli Precision Machinery Co., Ltd."),
    ("Keller Antriebstechnik GmbH", None),
    ("宁波东方新能源科技股份有限公司", "Ningbo Dongfang New Energy Technology"),
    ("Société Lyonnaise de Composites", None),
)


def _leads(server, cast, count: int, stages=("new",)) -> list[int]:
    """count leads owned by the officer, with a contact each, spread over the given stages."""
    from core.extensions import db
    from core.models import User
    from tests.factories import make_lead

    with server.app.app_context():
        officer = db.session.get(User, cast.officer)
        ids = []
        for number in range(count):
            name, latin = COMPANIES[number % len(COMPANIES)]
            lead = make_lead(
                f"{name} {number}",
                owner=officer,
                contact_name="王建国" if number % 2 else "Petra Keller",
                email=f"contact{number}@example.com",
                phone="+86 512 6688 1234",
                stage=stages[number % len(stages)],
                investment=150_000_000 + number * 1_000_000,
            )
            lead.company_name_latin = latin
            ids.append(lead.id)
        db.session.commit()
        db.session.remove()
    return ids


def _officer_page(new_page, server, cast, lang):
    set_staff_language(server.app, [cast.officer], lang)
    page = new_page(viewport=WIDE, locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    enter_signed_in(page, server, "li@bureau.example")
    return page, t


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_the_lead_list_shows_twenty_rows_at_1440_by_900(new_page, bureau, axe, lang):
    server, cast, _ = bureau
    _leads(server, cast, 60)
    page, t = _officer_page(new_page, server, cast, lang)
    page.goto("/crm/leads")
    review_shot(page, f"leads-{lang}")
    figures = page.evaluate(
        """() => {
            const rows = [...document.querySelectorAll('.lead-table tbody tr')];
            const box = document.querySelector('.lead-table-scroll').getBoundingClientRect();
            const bottom = Math.min(window.innerHeight, box.bottom);
            const inView = rows.filter(r => r.getBoundingClientRect().bottom <= bottom).length;
            const heights = rows.map(r => r.getBoundingClientRect().height);
            const heads = [...document.querySelectorAll('.lead-table thead th')].map(
                th => ({text: th.innerText, height: th.getBoundingClientRect().height}));
            // A contact is clipped when cut inside its cell or pushed past the screen's edge.
            const contacts = [...document.querySelectorAll('.lead-contact')].filter(
                td => td.scrollWidth > td.clientWidth + 1
                    || td.getBoundingClientRect().right > window.innerWidth).length;
            const table = document.querySelector('.lead-table').getBoundingClientRect();
            const contactRight = Math.max(...[...document.querySelectorAll('.lead-contact')].map(
                td => td.getBoundingClientRect().left + td.scrollWidth));
            return {inView, rowHeight: Math.max(...heights), heads, clipped: contacts, contactRight,
                    tableRight: table.right, rows: rows.length};
        }"""
    )
    print(f"lead list {lang}: {figures['inView']} rows in view, row {figures['rowHeight']} px")
    assert figures["rows"] == 50
    assert figures["inView"] >= 20, figures
    assert 900 / figures["rowHeight"] >= 20, figures
    # One line per header: no 阶段 broken a character per line.
    single = figures["rowHeight"] + 4
    assert all(head["height"] <= single for head in figures["heads"]), figures["heads"]
    assert figures["clipped"] == 0, figures["contactRight"]
    assert figures["tableRight"] <= WIDE["width"], "the table fits the screen's width"
    # The header row stays in view while the rows scroll.
    page.locator(".lead-table-scroll").evaluate("box => box.scrollTop = 600")
    head = page.locator(".lead-table thead th").first.bounding_box()
    scroller = page.locator(".lead-table-scroll").bounding_box()
    assert abs(head["y"] - scroller["y"]) <= 2
    page.locator(".lead-table-scroll").evaluate("box => box.scrollTop = 0")
    axe(page, f"lead list ({lang})")
    # The columns menu saves the choice for this user.
    page.get_by_text(t("Table columns"), exact=True).click()
    page.get_by_role("checkbox", name=t("Country")).uncheck()
    page.get_by_role("button", name=t("Save columns")).click()
    page.get_by_text(t("Your choice of columns is saved.")).wait_for()
    headers = page.locator(".lead-table thead th").all_inner_texts()
    assert t("Country") not in headers and t("Stage") in headers
    axe(page, f"lead list with the columns menu ({lang})")


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_the_board_shows_seven_stages_opens_a_lead_and_shows_a_refused_move(
    new_page, bureau, axe, lang
):
    from playwright.sync_api import expect

    from core.extensions import db
    from core.models import Lead

    server, cast, _ = bureau
    ids = _leads(server, cast, 70, STAGES)
    page, t = _officer_page(new_page, server, cast, lang)
    page.goto("/crm/board")
    review_shot(page, f"board-{lang}")
    columns = page.locator(".board-column")
    assert columns.count() == 7
    for index in range(7):
        box = columns.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDE["width"], index
        expect(columns.nth(index).locator(".board-column-title")).to_be_visible()
    card = page.locator(".board-card").first
    assert card.bounding_box()["height"] <= 90, "a card is two lines and a small move control"
    # The column heads stay in view while the cards scroll.
    page.locator(".board").evaluate("board => board.scrollTop = 300")
    head = page.locator(".board-column-head").first.bounding_box()
    assert abs(head["y"] - page.locator(".board").bounding_box()["y"]) <= 2
    page.locator(".board").evaluate("board => board.scrollTop = 0")
    axe(page, f"board ({lang})")

    # Someone else moves a lead meanwhile: this page's move is refused, visibly, on the card.
    lead_id = ids[63]  # the newest lead in New: the column's first card
    card = page.locator(f'.board-card[data-lead-id="{lead_id}"]')
    with server.app.app_context():
        lead = db.session.get(Lead, lead_id)
        lead.stage = "contacted"
        db.session.commit()
        db.session.remove()
    card.get_by_label(t("Move to stage")).select_option("qualified")
    card.get_by_role("button", name=t("Move")).click()
    refusal = card.locator(".card-refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(t("Contacted"))
    page.evaluate("window.scrollTo(0, 0)")
    review_shot(page, f"board-refused-{lang}")
    axe(page, f"board with a refused move ({lang})")

    # A card opens its lead.
    name = card.locator(".board-card-title a").inner_text()
    card.locator(".board-card-title a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    review_shot(page, f"lead-{lang}", full_page=False)
    axe(page, f"lead page ({lang})")

    # The quick filter narrows the board by a piece of the name.
    page.goto("/crm/board?q=" + ("恒力" if lang == "zh" else "Keller"))
    assert page.locator(".board-card").count() == 18


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_project_and_dashboard_open_on_a_summary(new_page, bureau, axe, lang):
    from playwright.sync_api import expect

    from core.extensions import db
    from tests.factories import make_project

    server, cast, secret = bureau
    set_staff_language(server.app, [cast.manager], lang)
    with server.app.app_context(), server.app.test_request_context():
        project_id = make_project("Keller Antriebe GmbH", investment=150_000_000).id
        db.session.commit()
        db.session.remove()
    page = new_page(viewport=WIDE, locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    enter_signed_in(page, server, "manager@bureau.example")
    page.goto(f"/crm/projects/{project_id}")
    index = page.get_by_role("navigation", name=t("Sections of this page"))
    index.get_by_role("link", name=t("Approval steps")).click()
    expect(page).to_have_url(f"{server.url}/crm/projects/{project_id}#approvals-title")
    assert page.locator("#approvals-title").bounding_box()["y"] < WIDE["height"]
    review_shot(page, f"project-{lang}")
    axe(page, f"project ({lang})")

    page.goto("/crm/dashboard")
    tiles = page.locator(".kpi-tile")
    assert tiles.count() >= 2
    assert tiles.first.bounding_box()["y"] < page.locator("#targets-title").bounding_box()["y"]
    assert tiles.first.bounding_box()["y"] + 80 < WIDE["height"], "the tiles come first"
    review_shot(page, f"dashboard-{lang}")
    axe(page, f"dashboard ({lang})")


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_the_follow_up_list_is_compact(new_page, bureau, axe, lang):
    from core.extensions import db
    from tests.factories import make_lead

    server, cast, secret = bureau
    set_staff_language(server.app, [cast.manager], lang)
    with server.app.app_context():
        for number in range(30):  # a fair's leads, nobody assigned yet
            name, _latin = COMPANIES[number % len(COMPANIES)]
            make_lead(f"{name} {number}", investment=150_000_000)
        db.session.commit()
        db.session.remove()
    page = new_page(viewport=WIDE, locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    enter_signed_in(page, server, "manager@bureau.example")
    page.goto("/crm/follow-up")
    rows = page.locator(".follow-up-table tbody tr")
    assert rows.count() >= 30
    height = max(rows.nth(i).bounding_box()["height"] for i in range(rows.count()))
    print(f"follow-up {lang}: rows {height} px, {WIDE['height'] / height:.1f} a screen")
    review_shot(page, f"follow-up-{lang}")
    assert WIDE["height"] / height >= 20
    axe(page, f"follow-up ({lang})")
