"""Reading import files: type by content, encodings, delimiters, and every bad file refused."""

from pathlib import Path

import pytest
from flask_babel import force_locale

from core.imports import ImportFileError, read_table

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def ctx(app):
    # Messages are asserted in English; the bureau's default language is Chinese.
    with app.test_request_context(), force_locale("en"):
        yield app


def read(name: str, **kwargs):
    return read_table((DATA / name).read_bytes(), name, **kwargs)


@pytest.mark.parametrize(
    ("name", "kind", "encoding", "delimiter", "first_company"),
    [
        ("utf8.csv", "csv", "utf-8", ",", "Müller Präzisionstechnik GmbH"),
        ("utf8_bom.csv", "csv", "utf-8-sig", ",", "成都天府精密机械有限公司"),
        ("gb18030.csv", "csv", "gb18030", ",", "成都天府精密机械有限公司"),
        ("semicolon.csv", "csv", "utf-8", ";", "Weber Maschinenbau GmbH"),
        ("tab.tsv", "csv", "utf-8", "\t", "Müller Präzisionstechnik GmbH"),
        ("contacts.xlsx", "xlsx", None, None, "Siemens AG"),
    ],
)
def test_good_files_are_read(ctx, name, kind, encoding, delimiter, first_company):
    table = read(name)
    assert (table.kind, table.encoding, table.delimiter) == (kind, encoding, delimiter)
    assert table.rows[0][0] == first_company
    assert all(len(row) == len(table.headers) for row in table.rows)


def test_bom_is_not_part_of_the_first_header(ctx):
    assert read("utf8_bom.csv").headers[0] == "公司名称"


def test_semicolon_file_keeps_commas_inside_cells(ctx):
    table = read("semicolon.csv")
    assert table.rows[0][6] == "Preis: 1.200,50 €; Interesse an Halle"


def test_xlsx_blank_rows_are_skipped_and_formulas_stay_text(ctx):
    table = read("contacts.xlsx")
    assert len(table.rows) == 3
    assert table.rows[2][0] == '=HYPERLINK("http://evil.example","click")'


def test_encoding_can_be_overridden(ctx):
    data = (DATA / "gb18030.csv").read_bytes()
    table = read_table(data, "gb18030.csv", encoding="gbk")
    assert table.encoding == "gbk" and table.headers[0] == "公司名称"
    with pytest.raises(ImportFileError) as wrong:
        read_table(data, "gb18030.csv", encoding="utf-8")
    assert "Line 1" in wrong.value.message
    with pytest.raises(ImportFileError, match="Unknown encoding"):
        read_table(data, "gb18030.csv", encoding="klingon")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("empty.csv", "empty"),
        ("header_only.csv", "no data rows"),
        ("png_renamed.csv", "not a CSV or Excel file"),
        ("broken_quoting.csv", "line 2"),
        ("mixed_encoding.csv", "line 3"),
        ("duplicate_headers.csv", "more than once: email"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(ctx, name, words):
    with pytest.raises(ImportFileError) as refused:
        read(name)
    assert words in refused.value.message


def test_a_zip_that_is_not_a_workbook_is_refused(ctx):
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(ImportFileError, match="not a CSV or Excel"):
        read_table(out.getvalue(), "letter.xlsx")
    with pytest.raises(ImportFileError, match="damaged"):
        read_table(b"PK\x03\x04garbage", "broken.xlsx")


def test_rows_over_the_cap_are_refused_before_anything_else(app, ctx):
    # 200k rows, generated here (never committed), against the default cap of 100,000.
    body = "".join(f"Firm {n} GmbH,x{n}@firm.example\n" for n in range(200_000))
    data = ("Company,Email\n" + body).encode()
    with pytest.raises(ImportFileError) as refused:
        read_table(data, "huge.csv")
    assert "100,000" in refused.value.message
    app.config["IMPORT_MAX_ROWS"] = 10
    with pytest.raises(ImportFileError, match="more than 10 data rows"):
        read_table(data[:1000], "small.csv")
    assert len(read_table(data[:1000], "small.csv", max_rows=100).rows) > 10


def test_formula_cells_are_read_as_plain_text(ctx):
    table = read("formulas.csv")
    assert table.rows[0][:2] == ["=1+2", "@SUM(A1:A3)"]
    assert table.rows[1][1] == "+cmd|' /C calc'!A0"


def test_excel_unicode_text_utf16_is_read(ctx):
    text = "公司名称\t邮箱\r\n成都天府精密机械有限公司\twang@tianfu.example\r\n"
    table = read_table(text.encode("utf-16"), "unicode.txt")
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.rows == [["成都天府精密机械有限公司", "wang@tianfu.example"]]


@pytest.mark.parametrize(
    ("data", "zh"),
    [
        (b'company,city\n"Acme" GmbH,Berlin\n', "引号结束了一个后面还有内容的单元格"),
        (b'company,city\n"Acme GmbH,Berlin\n', "文件在带引号的单元格中间结束"),
    ],
)
def test_broken_quoting_is_explained_in_the_reader_s_language(app, data, zh):
    with (
        app.test_request_context(),
        force_locale("zh"),
        pytest.raises(ImportFileError) as refused,
    ):
        read_table(data, "fair.csv")
    message = str(refused.value)
    assert zh in message and "expected" not in message and "unexpected" not in message
