"""Who reads which name: the county leader reads his liaison projects by name everywhere, and a
code name is said in the reader's language (水獭-00054 in Chinese, Otter-00054 in English)."""

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from core import projects
from core.code_names import code_name, code_name_for, lead_id_of_code
from core.extensions import db
from core.models import Lead, User
from tests.factories import english_cast, make_lead, make_project, signed_in

TODAY = date(2026, 6, 15)
PAGES = ("/crm/dashboard", "/crm/dashboard/print", "/crm/projects")


@pytest.fixture
def cast(app, monkeypatch):
    monkeypatch.setattr(projects, "park_today", lambda: TODAY)
    with app.app_context():
        return english_cast()


@pytest.fixture
def world(app, cast):
    """Two confidential projects at risk and major: one the leader chairs (named on the project
    only, not on its lead), one he does not."""
    with app.app_context(), app.test_request_context():
        leader = db.session.get(User, cast.leader)
        chaired = make_project(
            "Liaison Werke GmbH", signed_on=date(2026, 3, 3),
            deadline=TODAY + timedelta(days=5), investment=600_000_000,
        )  # fmt: skip
        chaired.liaison_id = leader.id
        other = make_project(
            "Geheim Maschinenbau AG", signed_on=date(2026, 3, 9),
            deadline=TODAY + timedelta(days=8), investment=700_000_000,
        )  # fmt: skip
        for project in (chaired, other):
            project.lead.confidential = True
        db.session.commit()
        return {"chaired": chaired.id, "other": other.id, "other_lead": other.lead_id}


def xlsx_text(response) -> str:
    book = load_workbook(io.BytesIO(response.data))
    return " ".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )


def test_the_leader_reads_the_projects_he_chairs_by_name_everywhere(app, cast, world):
    client = signed_in(app, cast.leader)
    for path in PAGES:
        html = client.get(path).get_data(as_text=True)
        assert "Liaison Werke GmbH" in html, path
        assert "Geheim Maschinenbau" not in html, path
    risks = re.search(r'id="projects-at-risk">.*?</table>', client.get(PAGES[0]).text, re.S)
    assert "Liaison Werke GmbH" in risks.group(0)
    exported = xlsx_text(client.get("/crm/dashboard.xlsx"))
    assert "Liaison Werke GmbH" in exported and "Geheim Maschinenbau" not in exported
    with app.app_context():
        other = db.session.get(Lead, world["other_lead"])
        assert code_name_for(other.id) in exported  # the other one by its code name


def test_chinese_staff_read_code_names_in_chinese(app, cast, world):
    with app.app_context():
        db.session.get(User, cast.leader).language = "zh"
        db.session.commit()
        other = db.session.get(Lead, world["other_lead"])
        chinese, english = code_name_for(other.id, "zh"), code_name_for(other.id)
    client = signed_in(app, cast.leader)
    for path in PAGES[:2]:  # the projects list shows him only projects in his scope
        html = client.get(path).get_data(as_text=True)
        assert chinese in html and english not in html, path
    assert re.fullmatch(r"[\u4e00-\u9fff]{2}-\d{5}", chinese)
    manager = signed_in(app, cast.manager)  # English: the English word, same number
    assert english in manager.get(f"/crm/leads/{world['other_lead']}").get_data(as_text=True)


def test_a_code_name_is_read_back_in_either_language(app, cast):
    with app.app_context(), app.test_request_context():
        lead = make_lead("Code GmbH")
        assert lead_id_of_code(code_name_for(lead.id, "zh")) == lead.id
        assert lead_id_of_code(code_name_for(lead.id).upper()) == lead.id
        assert lead_id_of_code(f"Nonsense-{lead.id:05d}") is None
        assert lead_id_of_code("水獭") is None and lead_id_of_code("") is None
        assert lead_id_of_code("Otter-²") is None  # a digit to Unicode, not a number to int()
        assert code_name(lead, "zh") == code_name_for(lead.id, "zh")
        lead.code_name = "IMPORTED-7"  # a name not from the word list stays as given
        assert code_name(lead, "zh") == "IMPORTED-7"
