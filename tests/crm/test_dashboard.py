"""The targets dashboard in the CRM: who may open it, what it shows, its statements, XLSX, print."""

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event as sa_event

from core import projects
from core.extensions import db
from core.models import Project, User
from tests.conftest import translated
from tests.factories import english_cast, make_project, signed_in

TODAY = date(2026, 6, 15)


@pytest.fixture
def cast(app, monkeypatch):
    """The cast in English, on a frozen park day in June 2026."""
    monkeypatch.setattr(projects, "park_today", lambda: TODAY)
    with app.app_context():
        return english_cast()


@pytest.fixture
def world(app, cast):
    """Three projects signed this year: one the leader is liaison for, one at risk, one major."""
    with app.app_context(), app.test_request_context():
        leader = db.session.get(User, cast.leader)
        mine = make_project(
            "Liaison Werke GmbH", liaison=leader, zone="south", signed_on=date(2026, 2, 3),
            construction=date(2026, 4, 1), deadline=date(2026, 5, 1),
        )  # fmt: skip
        risky = make_project(
            "=HYPERLINK(\"http://evil.example\")", signed_on=date(2026, 3, 9),
            deadline=TODAY + timedelta(days=10), investment=600_000_000,
        )  # fmt: skip
        make_project("Unproven SA", proof=False, signed_on=date(2026, 4, 1))
        db.session.commit()
        return {"mine": mine.id, "risky": risky.id, "code": risky.lead.code_name}


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("manager", 200), ("leader", 200), ("officer", 403)]
)
def test_dashboard_export_and_print_by_role(app, cast, world, role, status):
    client = signed_in(app, cast.by_role()[role])
    for path in ("/crm/dashboard", "/crm/dashboard.xlsx", "/crm/dashboard/print"):
        assert client.get(path).status_code == status, path


def test_dashboard_is_first_in_the_navigation_for_those_who_may_open_it(app, cast, world):
    html = signed_in(app, cast.manager).get("/crm/dashboard").get_data(as_text=True)
    nav = re.search(r'<nav class="main-nav".*?</nav>', html, re.S).group(0)
    links = re.findall(r'href="([^"]+)"', nav)
    assert links[0] == "/crm/dashboard" and 'aria-current="page"' in nav
    officer = signed_in(app, cast.officer).get("/crm/projects").get_data(as_text=True)
    assert 'href="/crm/dashboard"' not in officer


def test_targets_against_actuals_with_charts_and_tables(app, cast, world):
    html = signed_in(app, cast.manager).get("/crm/dashboard").get_data(as_text=True)
    assert "Targets dashboard 2026" in html
    row = re.search(r'<tr data-measure="signed">.*?</tr>', html, re.S).group(0)
    # Two proven signings of 150 (the unproven one is not counted): 1%.
    assert re.findall(r'class="number">([^<]+)<', row) == ["150", "2", "1%"]
    built = re.search(r'<tr data-measure="construction">.*?</tr>', html, re.S).group(0)
    assert re.findall(r'class="number">([^<]+)<', built) == ["100", "1", "1%"]
    for code in ("signed", "construction", "production", "investment", "funnel"):
        svg = re.search(rf'<svg class="chart" id="chart-{code}"[^>]*>', html).group(0)
        assert 'role="img"' in svg
        assert f'aria-labelledby="chart-{code}-title"' in svg
        assert f'aria-describedby="chart-{code}-summary"' in svg
        assert f'<title id="chart-{code}-title">' in html
        assert f'id="chart-{code}-summary"' in html
    # The chart's data follows as a table; months still to come are blank.
    table = re.search(r'<table class="table report-table dashboard-months">.*?</table>', html, re.S)
    cells = re.findall(r'<td class="number">([^<]+)</td>', table.group(0))
    assert cells[:6] == ["0", "1", "1", "0", "0", "0"] and cells[6] == "—"
    assert "Projects signed in 2026: 2 of the target of 150" in html


def test_zone_deadlines_risks_and_major_projects(app, cast, world):
    html = signed_in(app, cast.manager).get("/crm/dashboard").get_data(as_text=True)
    zones = re.search(
        r'<table class="table report-table" id="zone-deadlines">.*?</table>', html, re.S
    )
    south = re.search(r"<tr>\s*<th scope=\"row\">South area.*?</tr>", zones.group(0), re.S).group(0)
    assert ">1<" in south and "100%" in south and "Met" in south
    risks = re.search(r'id="projects-at-risk">.*?</table>', html, re.S).group(0)
    assert "construction must start within 10 days" in risks
    assert f'href="/crm/projects/{world["risky"]}"' in risks
    assert "&#34;" in risks or "&quot;" in risks  # the odd company name is escaped, not markup
    majors = re.search(r'id="major-projects">.*?</table>', html, re.S).group(0)
    assert f"/crm/projects/{world['risky']}" in majors and "Liaison Werke" not in majors


def test_leaders_see_names_unless_confidential_and_links_only_to_their_projects(app, cast, world):
    html = signed_in(app, cast.leader).get("/crm/dashboard").get_data(as_text=True)
    risks = re.search(r'id="projects-at-risk">.*?</table>', html, re.S).group(0)
    assert "HYPERLINK" in risks and world["code"] not in risks  # by name, escaped as text
    assert "/crm/projects/" not in risks  # not their project: no link
    with app.app_context():
        db.session.get(Project, world["risky"]).lead.confidential = True
        db.session.commit()
    html = signed_in(app, cast.leader).get("/crm/dashboard").get_data(as_text=True)
    risks = re.search(r'id="projects-at-risk">.*?</table>', html, re.S).group(0)
    assert world["code"] in risks and "HYPERLINK" not in risks
    # Their own project is linked wherever it is listed (a deadline near: at risk).
    with app.app_context(), app.test_request_context():
        mine = db.session.get(Project, world["mine"])
        mine.stage, mine.construction_deadline = "signed", TODAY + timedelta(days=3)
        db.session.commit()
    html = signed_in(app, cast.leader).get("/crm/dashboard").get_data(as_text=True)
    assert f'href="/crm/projects/{world["mine"]}"' in html
    main = html.split('<main id="main"', 1)[1]
    assert 'method="post"' not in main  # read-only: only the year chooser, nothing to send


def test_a_bad_year_is_named_and_the_year_can_be_chosen(app, cast, world):
    client = signed_in(app, cast.manager)
    bad = client.get("/crm/dashboard?year=20x6")
    assert bad.status_code == 400
    assert "Choose a year from the list." in bad.get_data(as_text=True)
    assert client.get("/crm/dashboard.xlsx?year=99999").status_code == 400
    past = client.get("/crm/dashboard?year=2025").get_data(as_text=True)
    assert "Targets dashboard 2025" in past and "No project is at risk." not in past
    assert "No targets are set for 2025" in past


def test_statements_do_not_grow_with_the_projects(app, cast, world):
    client = signed_in(app, cast.manager)
    with app.app_context():
        engine = db.engine

    def statements() -> int:
        seen = []

        def counted(*args):
            seen.append(1)

        sa_event.listen(engine, "before_cursor_execute", counted)
        try:
            assert client.get("/crm/dashboard").status_code == 200
        finally:
            sa_event.remove(engine, "before_cursor_execute", counted)
        return len(seen)

    first = statements()
    with app.app_context(), app.test_request_context():
        for n in range(6):
            make_project(
                f"More {n} AG", signed_on=date(2026, 1 + n, 5), investment=700_000_000 + n,
                deadline=TODAY + timedelta(days=n), construction=date(2026, 5, 1 + n) if n % 2
                else None, zone="north" if n % 3 else "south",
            )  # fmt: skip
        db.session.commit()
    assert statements() == first


def test_the_workbook_has_one_sheet_per_table_and_no_formulas(app, cast, world):
    response = signed_in(app, cast.manager).get("/crm/dashboard.xlsx?year=2026")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="dashboard-2026.xlsx"'
    book = load_workbook(io.BytesIO(response.data))
    assert len(book.sheetnames) == len(set(book.sheetnames)) >= 10
    targets_sheet = book[book.sheetnames[0]]
    rows = list(targets_sheet.iter_rows(values_only=True))
    assert rows[1][1:3] == (150, 2) and rows[1][3] == pytest.approx(2 / 150)
    assert targets_sheet.cell(row=2, column=4).number_format == "0%"
    texts = [
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    assert '\'=HYPERLINK("http://evil.example")' in texts
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)
    assert all(cell.data_type != "f" for s in book.worksheets for r in s.iter_rows() for cell in r)


def test_print_page_has_no_navigation_and_a_print_stylesheet(app, cast, world):
    response = signed_in(app, cast.manager).get("/crm/dashboard/print?year=2026")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="main-nav"' not in html and "Sign out" not in html
    assert "css/crm.css" in html and 'class="crm dashboard-print"' in html
    assert 'id="chart-signed"' in html and "For the county meeting" in html


def test_in_chinese_by_default(app, cast, world):
    with app.app_context():
        manager = db.session.get(User, cast.manager)
        manager.language = "zh"
        db.session.commit()
    html = signed_in(app, cast.manager).get("/crm/dashboard").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    assert translated(app, "Zone deadlines") in html
    assert "签约项目" in html  # the measure's name from content/data/targets.yaml
