"""The import reader against hostile files: each is refused (or read for what it really holds)
with a clear message, quickly, without inflating or padding what the file only claims."""

import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from flask_babel import force_locale
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from core.imports import ImportFileError, read_table
from core.imports import limits as limits_module
from tests import hostile_files as hostile

# Far more than any file here holds, far less than a padded or inflated one would.
CELLS_READ_AT_MOST = 50_000
MEMORY_AT_MOST = 32 * 1024 * 1024


@pytest.fixture
def ctx(app):
    with app.test_request_context(), force_locale("en"):
        yield app


@pytest.fixture
def cells_read(monkeypatch):
    """Counts the cells openpyxl hands over, and stops a reader that goes on padding."""
    seen = {"cells": 0}
    original = ReadOnlyWorksheet._cells_by_row

    def counted(self, *args, **kwargs):
        for row in original(self, *args, **kwargs):
            seen["cells"] += len(row)
            if seen["cells"] > CELLS_READ_AT_MOST:
                pytest.fail("the reader went on through cells the file only claims")
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counted)
    return seen


@pytest.fixture
def parts_opened(monkeypatch):
    """Names of the archive parts opened (to inflate them); the zip bomb's sheet must never be."""
    opened = []
    original = zipfile.ZipFile.open

    def spied(self, name, *args, **kwargs):
        part = name.filename if isinstance(name, zipfile.ZipInfo) else name
        if self.mode == "r":  # files are built with zipfile too
            opened.append(part)
            if part == hostile.SHEET and self.getinfo(part).file_size > hostile.GIB // 2:
                pytest.fail("the reader began to inflate the bomb")
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spied)
    return opened


def refusal(data: bytes, filename: str = "leads.xlsx") -> str:
    with pytest.raises(ImportFileError) as refused:
        read_table(data, filename)
    return refused.value.message


def peak_memory(read) -> int:
    tracemalloc.start()
    try:
        read()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


# --- finding 2: the sheet's claimed size --------------------------------------------------


def test_a_sheet_claiming_the_whole_grid_is_read_for_what_it_holds(ctx, cells_read):
    data = hostile.dimension_bomb()
    assert len(data) < 8 * 1024
    table = read_table(data, "leads.xlsx")
    assert table.headers == list(hostile.ROWS[0])
    assert table.rows == [list(row) for row in hostile.ROWS[1:]]
    assert cells_read["cells"] < CELLS_READ_AT_MOST


def test_a_long_run_of_empty_rows_ends_the_sheet(ctx, cells_read):
    def far_row(xml: bytes) -> bytes:
        far = b'<row r="900000"><c r="A900000" t="inlineStr"><is><t>Far GmbH</t></is></c></row>'
        return xml.replace(b"</sheetData>", far + b"</sheetData>")

    table = read_table(hostile.with_sheet(far_row), "leads.xlsx")
    assert [row[0] for row in table.rows] == [row[0] for row in hostile.ROWS[1:]]


def test_reading_stops_at_the_time_budget(ctx, monkeypatch):
    ticks = iter(range(10**6))
    monkeypatch.setattr(limits_module, "monotonic", lambda: next(ticks))  # a second per look
    ctx.config["IMPORT_PARSE_SECONDS"] = 5
    rows = "".join(f"Firm {n} GmbH,x{n}@firm.example\n" for n in range(20))
    for data, name in ((("Company,Email\n" + rows).encode(), "leads.csv"), (None, "leads.xlsx")):
        data = data or hostile.workbook([hostile.ROWS[0], *[hostile.ROWS[1]] * 20])
        message = refusal(data, name)
        assert "too large or too complex to read within 5 seconds" in message


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_header_wider_than_the_cap_is_refused(ctx, kind):
    headers = [f"Column {n}" for n in range(501)]
    if kind == "csv":
        data = (",".join(headers) + "\n" + "x," * 500 + "x\n").encode()
    else:
        data = hostile.workbook([headers, ["x"] * 501])
    assert "has 501 columns; at most 500 can be imported" in refusal(data, f"wide.{kind}")
    ctx.config["IMPORT_MAX_COLUMNS"] = 501
    assert len(read_table(data, f"wide.{kind}").headers) == 501


# --- finding 3: zip bombs and oversized cells ----------------------------------------------


def test_a_zip_bomb_is_refused_from_its_directory_before_inflating(ctx, parts_opened):
    data = hostile.zip_bomb()
    parts_opened.clear()  # building it read a plain workbook
    assert len(data) < 2 * 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo(hostile.SHEET).file_size > hostile.GIB
    message = {}
    peak = peak_memory(lambda: message.update(text=refusal(data)))
    assert "may be a zip bomb" in message["text"]
    assert hostile.SHEET not in parts_opened
    assert peak < MEMORY_AT_MOST


def test_all_parts_together_are_capped_when_unpacked(ctx):
    ctx.config["IMPORT_ZIP_RATIO"] = 10_000  # let the ratio pass: the total still counts
    ctx.config["IMPORT_MAX_UNZIPPED_MB"] = 32
    assert "unpacks to more than 32 MB" in refusal(hostile.zip_bomb(64 << 20))


def test_a_part_lying_about_its_size_is_never_inflated_past_it(ctx):
    message = {}
    peak = peak_memory(lambda: message.update(text=refusal(hostile.lying_sizes())))
    assert "damaged" in message["text"]
    assert peak < MEMORY_AT_MOST


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_cell_longer_than_excel_allows_is_refused(ctx, kind):
    def data(chars: int) -> bytes:
        if kind == "xlsx":
            return hostile.wide_cell(chars)
        return f"Company,Email\n{'x' * chars},p@example.com\n".encode()

    assert read_table(data(32_767), f"long.{kind}").rows[0][0] == "x" * 32_767
    message = refusal(data(32_768), f"long.{kind}")
    assert "Row 2 holds a cell of more than 32,767 characters" in message


def test_a_csv_cell_beyond_the_csv_modules_own_limit_gets_the_same_message(ctx):
    data = f"Company,Email\n{'x' * 200_000},p@example.com\n".encode()
    assert "more than 32,767 characters" in refusal(data, "long.csv")


def test_the_whole_tables_text_is_capped(ctx):
    ctx.config["IMPORT_MAX_TABLE_CHARS"] = 60
    rows = "".join(f"Firm {n} GmbH,x{n}@firm.example\n" for n in range(5))
    message = refusal(("Company,Email\n" + rows).encode(), "leads.csv")
    assert "more than 60 characters of text" in message


# --- XML smuggled into a workbook -----------------------------------------------------------


@pytest.mark.parametrize("build", [hostile.billion_laughs, hostile.external_entity])
def test_xml_entities_are_refused_without_expanding_them(ctx, build):
    message = {}
    peak = peak_memory(lambda: message.update(text=refusal(build())))
    assert "contains XML entity declarations" in message["text"]
    assert peak < MEMORY_AT_MOST


def test_links_to_other_workbooks_are_refused(ctx):
    assert "refers to other workbooks (external links)" in refusal(hostile.external_link())


def test_parts_named_like_paths_are_never_unpacked(ctx, tmp_path):
    table = read_table(hostile.traversal_members(), "leads.xlsx")
    assert table.rows[0][0] == hostile.ROWS[1][0]
    assert not Path("/tmp/escaped.txt").exists()


# --- polyglots: judged by what they hold, not what they are called --------------------------


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [
        (hostile.HTML_TABLE, "leads.xlsx", "a web page or XML document"),
        (b"\xef\xbb\xbf  " + hostile.HTML_TABLE, "leads.csv", "a web page or XML document"),
        (hostile.PNG, "leads.csv", "not a CSV or Excel file"),
        (hostile.PK_CSV, "leads.csv", "damaged"),
        (hostile.CSV_THEN_ZIP, "leads.csv", "not a CSV or Excel file"),
        (hostile.with_html_after(), "leads.xlsx", "other data attached after its end"),
    ],
)
def test_polyglots_are_judged_by_content(ctx, data, filename, words):
    assert words in refusal(data, filename)


def test_a_csv_named_xlsx_is_still_read_as_the_csv_it_is(ctx):
    assert read_table(hostile.CSV, "leads.xlsx").kind == "csv"


def test_the_files_written_for_a_deployed_instance_are_refused_or_read_as_what_they_hold(
    app, tmp_path
):
    harmless = {"dimension-bomb.xlsx", "traversal-members.xlsx"}  # two rows each, as they hold
    with app.test_request_context():
        for name in hostile.write_all(str(tmp_path)):
            data = (tmp_path / name).read_bytes()
            if name in harmless:
                assert len(read_table(data, name).rows) == 2
            else:
                with pytest.raises(ImportFileError):
                    read_table(data, name)
