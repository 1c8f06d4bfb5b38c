"""Exports of the filtered lead list: CSV with BOM, XLSX, formulas neutralised, each logged."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.exports import neutralise
from core.extensions import db
from core.models import AuditEntry, Export, User, export_lead
from tests.conftest import csrf_token
from tests.factories import make_cast, make_lead, sign_in_as

EVIL = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def cast(app):
    with app.app_context():
        return make_cast()


@pytest.fixture
def leads(app, cast):
    with app.app_context():
        owner = db.session.get(User, cast.officer)
        first = make_lead(EVIL, owner=owner, contact_name="@SUM(A1)", phone="+8613800000000")
        first.company_name_latin = "-2+3"
        second = make_lead("苏州精密机械有限公司", contact_name="张三", email="zs@example.cn",
                           country="CN", language="zh", stage="qualified")  # fmt: skip
        second.company_name_latin = "\tTabbed\rName"
        third = make_lead("Lost GmbH", email="l@x.example", stage="lost")
        db.session.commit()
        return [first.id, second.id, third.id]


def export(app, client, user_id, fmt, query=""):
    with app.app_context():
        sign_in_as(client, user_id)
    token = csrf_token(client.get("/crm/leads").get_data(as_text=True))
    url = "/crm/leads/export" + (f"?{query}" if query else "")
    return client.post(url, data={"format": fmt, "csrf_token": token})


def test_neutralise_prefixes_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(f"{start}1") == f"'{start}1"
    assert neutralise("Müller") == "Müller" and neutralise(5) == 5


def test_csv_has_bom_columns_and_neutralised_cells(app, client, cast, leads):
    response = export(app, client, cast.manager, "csv", "stage=new&stage=qualified")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 3  # header + the two leads in the filter
    header = rows[0]
    assert len(header) == 17
    by_id = {int(r[0]): r for r in rows[1:]}
    assert set(by_id) == set(leads[:2])
    first = by_id[leads[0]]
    assert first[2] == "'" + EVIL
    assert first[3] == "'-2+3"
    assert first[14] == "'@SUM(A1)"
    assert first[16] == "'+8613800000000"
    assert re.fullmatch(r"[A-Z][a-z]+-\d{5}", first[1])  # the code name
    second = by_id[leads[1]]
    assert second[2] == "苏州精密机械有限公司" and second[14] == "张三"
    assert second[3] == "'\tTabbed\rName"
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_xlsx_opens_in_openpyxl_with_no_formulas(app, client, cast, leads):
    response = export(app, client, cast.admin, "xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4
    cells = [c for row in rows for c in row if c is not None]
    assert "'" + EVIL in cells and "'@SUM(A1)" in cells and "张三" in cells
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value
    amounts = {row[0]: row[10] for row in rows[1:]}
    assert amounts[leads[0]] == 80_000_000  # a number, so the sheet can add it up


def test_every_export_is_logged_with_its_leads(app, client, cast, leads):
    export(app, client, cast.manager, "csv", "stage=lost")
    export(app, client, cast.manager, "xlsx")
    with app.app_context():
        exports = db.session.scalars(select(Export).order_by(Export.id)).all()
        assert [(e.format, e.row_count, e.user_id) for e in exports] == [
            ("csv", 1, cast.manager),
            ("xlsx", 3, cast.manager),
        ]
        assert exports[0].query == "stage=lost"
        linked = db.session.execute(
            select(export_lead.c.lead_id).where(export_lead.c.export_id == exports[0].id)
        ).scalars()
        assert list(linked) == [leads[2]]
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
        ).all()
        assert [(e.entity_type, e.entity_id, e.actor) for e in entries] == [
            ("Export", exports[0].id, f"user:{cast.manager}"),
            ("Export", exports[1].id, f"user:{cast.manager}"),
        ]


def test_export_denied_to_officer_and_leader(app, client, cast, leads):
    for user_id in (cast.officer, cast.leader):
        assert export(app, client, user_id, "csv").status_code == 403
        assert "crm/leads/export" not in client.get("/crm/leads").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Export)).all() == []


def test_export_needs_csrf_and_a_known_format(app, client, cast, leads):
    with app.app_context():
        sign_in_as(client, cast.manager)
    assert client.post("/crm/leads/export", data={"format": "csv"}).status_code == 400
    assert client.get("/crm/leads/export").status_code == 405
    assert export(app, client, cast.manager, "pdf").status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Export)).all() == []


def test_export_with_malformed_filter_exports_without_it(app, client, cast, leads):
    response = export(app, client, cast.manager, "csv", "stage=won&created_from=bad&after=x")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 4


def test_manager_list_shows_the_export_buttons(app, client, cast, leads):
    with app.app_context():
        sign_in_as(client, cast.manager)
    html = client.get("/crm/leads?stage=new").get_data(as_text=True)
    assert 'action="/crm/leads/export?stage=new"' in html
