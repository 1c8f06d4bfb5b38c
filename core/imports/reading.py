"""Reading an uploaded CSV or XLSX into a table of text cells: type, encoding and delimiter."""

import csv
import io
import re
import zipfile
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from core.imports.errors import ImportFileError
from core.imports.limits import Limits, Meter, check_archive

# What a user may choose when the detected encoding is wrong (Chinese Excel writes GB18030/GBK).
ENCODINGS = (
    ("utf-8", _l("UTF-8")),
    ("utf-8-sig", _l("UTF-8 with byte-order mark")),
    ("gb18030", _l("GB18030 / GBK (Chinese Excel)")),
    ("utf-16", _l("UTF-16 (Excel Unicode text)")),
)
DELIMITERS = (",", ";", "\t")
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# A web page or XML saved under a spreadsheet's name (web systems' "Excel export" often is).
MARKUP = re.compile(rb"\s*<(?:!doctype|html|head|body|table|\?xml|!--|meta|script|svg)\b", re.I)
# This many empty rows in a row end the sheet: what lies further down is not part of the table.
EMPTY_RUN = 1_000


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    kind: str  # csv | xlsx
    encoding: str | None = None
    delimiter: str | None = None


def read_table(
    data: bytes, filename: str, encoding: str | None = None, max_rows: int | None = None
) -> Table:
    """The file as headers and rows of stripped text; ImportFileError says what is wrong.

    The type comes from the content, never the name: an XLSX is a zip holding xl/workbook.xml,
    anything else must be text. What reading may cost is capped by the IMPORT_* settings
    (core.imports.limits); max_rows overrides IMPORT_MAX_ROWS.
    """
    meter = Meter(Limits.current(max_rows))
    if not data or not data.strip():
        raise ImportFileError(gettext("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        table = _read_xlsx(data, meter)
    elif data.startswith(UTF16_BOMS):
        # Excel's "Unicode text" export: UTF-16 with a byte-order mark, tab-separated.
        table = _read_csv(data, encoding or "utf-16", meter)
    elif _looks_binary(data):
        raise ImportFileError(
            gettext("This is not a CSV or Excel file. Upload a .csv or .xlsx file.")
        )
    elif MARKUP.match(data.removeprefix(UTF8_BOM)):
        raise ImportFileError(
            gettext(
                "This is a web page or XML document, not a CSV or Excel file. Open it in Excel "
                "and save it as .xlsx or .csv, then upload that file."
            )
        )
    else:
        table = _read_csv(data, encoding, meter)
    return _checked(table)


def _looks_binary(data: bytes) -> bool:
    # Text never holds a NUL byte anywhere: images, PDFs, old .xls files and text with an
    # archive appended do (UTF-16, which does, is recognised by its byte-order mark first).
    return b"\x00" in data or data.startswith((b"\x89PNG", b"%PDF", b"GIF8", b"\xff\xd8\xff"))


def _checked(table: Table) -> Table:
    if not table.headers or not any(table.headers):
        raise ImportFileError(gettext("The file has no header row."))
    seen: dict[str, int] = {}
    duplicates = []
    for position, header in enumerate(table.headers, start=1):
        if not header:
            table.headers[position - 1] = gettext("Column %(number)d", number=position)
            continue
        key = header.casefold()
        if key in seen and header not in duplicates:
            duplicates.append(header)
        seen[key] = position
    if duplicates:
        raise ImportFileError(
            gettext(
                "The header row names a column more than once: %(names)s. "
                "Rename the columns so that each name is used once.",
                names=", ".join(duplicates),
            )
        )
    if not table.rows:
        raise ImportFileError(gettext("The file has a header row but no data rows."))
    return table


def _decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """(text, encoding used): the chosen one, else UTF-8 (with or without BOM), else GB18030."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise ImportFileError(gettext("Unknown encoding: %(name)s.", name=encoding)) from None
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                gettext(
                    "Line %(line)d cannot be read as %(encoding)s. Choose another encoding.",
                    line=data.count(b"\n", 0, exc.start) + 1,
                    encoding=encoding,
                )
            ) from None
    if data.startswith(UTF8_BOM):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _mixed(data, exc.start) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    # A line of non-ASCII text that is valid UTF-8 is UTF-8 (GBK text almost never is):
    # beside a line that is not, the file mixes encodings and no single choice reads it.
    if any(_is_utf8_text(line) for line in data.split(b"\n")):
        raise _mixed(data, first_bad)
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise _mixed(data, exc.start) from None


def _is_utf8_text(line: bytes) -> bool:
    if line.isascii():
        return False
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _mixed(data: bytes, offset: int) -> ImportFileError:
    return ImportFileError(
        gettext(
            "The file mixes text encodings: line %(line)d cannot be read like the lines "
            "before it. Save the whole file again as UTF-8 (or GB18030) and upload it again.",
            line=data.count(b"\n", 0, offset) + 1,
        )
    )


def sniff_delimiter(text: str) -> str:
    """The most frequent of , ; tab in the header line, quoted parts left out."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes, encoding: str | None, meter: Meter) -> Table:
    text, used = _decode(data, encoding)
    delimiter = sniff_delimiter(text)
    # strict: a stray or unclosed quote is an error, not a silently merged row.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    headers: list[str] | None = None
    rows: list[list[str]] = []
    ended = 0  # the last line of the last record read whole: a broken one starts after it
    try:
        for record in reader:
            meter.tick()
            ended = reader.line_num
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue
            meter.cells(cells, ended)
            if headers is None:
                meter.columns(len(cells))
                headers = cells
                continue
            meter.rows(len(rows) + 1)
            rows.append(_fit(cells, len(headers)))
    except csv.Error as exc:
        if str(exc).startswith("field larger than field limit"):  # csv's own cap, above ours
            raise meter.cell_too_long(ended + 1) from None
        raise ImportFileError(
            gettext(
                "The quoting is broken in the row starting on line %(line)d (%(detail)s). "
                "Check the quotation marks there.",
                line=ended + 1,
                detail=_csv_problem(str(exc)),
            )
        ) from None
    return Table(headers=headers or [], rows=rows, kind="csv", encoding=used, delimiter=delimiter)


def _csv_problem(detail: str) -> str:
    """Python's csv error in the reader's language (it is English and technical)."""
    if "expected after" in detail:
        return gettext("a quotation mark closes a cell that goes on")
    if "unexpected end of data" in detail:
        return gettext("the file ends inside a quoted cell")
    if "new-line character" in detail or "line contains NUL" in detail:
        return gettext("a line break or a NUL character where none may be")
    return gettext("the cells cannot be told apart")


def _fit(cells: list[str], width: int) -> list[str]:
    """Short rows padded; cells beyond the header row dropped only when empty."""
    if len(cells) < width:
        return cells + [""] * (width - len(cells))
    if any(cells[width:]):
        extra = " ".join(c for c in cells[width - 1 :] if c)
        return [*cells[: width - 1], extra]
    return cells[:width]


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(data: bytes, meter: Meter) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise ImportFileError(
                    gettext("This is not a CSV or Excel file. Upload a .csv or .xlsx file.")
                )
            check_archive(archive, meter.limits)
    except zipfile.BadZipFile:
        raise ImportFileError(gettext("The Excel file is damaged and cannot be read.")) from None
    if not _ends_with_archive(data):
        raise ImportFileError(
            gettext(
                "The Excel file has other data attached after its end. "
                "Save it again from Excel and upload the new file."
            )
        )
    try:
        # data_only=False: a formula comes back as its text ("=SUM(A1:A3)") and is never run.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise _unreadable(exc) from None
    try:
        return _sheet_table(book.worksheets[0], meter)
    except ImportFileError:
        raise
    except Exception as exc:  # the sheet is parsed only now: a damaged one fails here
        raise _unreadable(exc) from None
    finally:
        book.close()


def _ends_with_archive(data: bytes) -> bool:
    """The zip's end record (and its comment) closes the file: nothing is hidden behind it."""
    end = data.rfind(b"PK\x05\x06")
    if end < 0 or len(data) < end + 22:
        return False
    return end + 22 + int.from_bytes(data[end + 20 : end + 22], "little") == len(data)


def _unreadable(exc: BaseException | None) -> ImportFileError:
    """Why openpyxl failed: refused XML entities (openpyxl wraps that error), or damage."""
    while exc is not None:
        if isinstance(exc, DefusedXmlException):
            return ImportFileError(
                gettext(
                    "The Excel file contains XML entity declarations, which Excel never writes; "
                    "it was not read. Save the sheet again from Excel and upload the new file."
                )
            )
        exc = exc.__cause__ or exc.__context__
    return ImportFileError(gettext("The Excel file is damaged and cannot be read."))


def _sheet_table(sheet, meter: Meter) -> Table:
    # The size a sheet claims (<dimension ref="A1:XFD1048576">) is not trusted: openpyxl would
    # pad every row to its width and fill in every missing row up to its height.
    sheet.reset_dimensions()
    number, headers = _header_row(sheet, meter)
    rows: list[list[str]] = []
    if headers is None:
        return Table(headers=[], rows=rows, kind="xlsx")
    empty, first = 0, number + 1
    # Only the header's columns: a cell beyond them has no column to go to.
    values_by_row = sheet.iter_rows(min_row=first, max_col=len(headers), values_only=True)
    for number, values in enumerate(values_by_row, start=first):
        meter.tick()
        cells = [_xlsx_text(v) for v in values]
        if not any(cells):
            empty += 1
            if empty == EMPTY_RUN:
                break
            continue
        empty = 0
        meter.cells(cells, number)
        meter.rows(len(rows) + 1)
        rows.append(_fit(cells, len(headers)))
    return Table(headers=headers, rows=rows, kind="xlsx")


def _header_row(sheet, meter: Meter) -> tuple[int, list[str] | None]:
    """(row number, headers) of the first row with a value; (0, None) when none comes soon."""
    values_by_row = sheet.iter_rows(max_col=meter.limits.columns + 1, values_only=True)
    for number, values in enumerate(values_by_row, start=1):
        meter.tick()
        cells = [_xlsx_text(v) for v in values]
        if any(cells):
            while not cells[-1]:
                cells.pop()
            meter.columns(len(cells))
            meter.cells(cells, number)
            return number, cells
        if number == EMPTY_RUN:
            break
    return 0, None
