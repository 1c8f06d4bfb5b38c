"""Reading an uploaded CSV or XLSX into a table of text cells: type, encoding and delimiter."""

import csv
import io
import zipfile
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l

from core.imports.errors import ImportFileError

DEFAULT_MAX_ROWS = 100_000
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


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    kind: str  # csv | xlsx
    encoding: str | None = None
    delimiter: str | None = None


def max_rows_allowed() -> int:
    if has_app_context():
        return int(current_app.config.get("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))
    return DEFAULT_MAX_ROWS


def read_table(
    data: bytes, filename: str, encoding: str | None = None, max_rows: int | None = None
) -> Table:
    """The file as headers and rows of stripped text; ImportFileError says what is wrong.

    The type comes from the content, never the name: an XLSX is a zip holding xl/workbook.xml,
    anything else must be text. max_rows defaults to the IMPORT_MAX_ROWS setting.
    """
    cap = max_rows if max_rows is not None else max_rows_allowed()
    if not data or not data.strip():
        raise ImportFileError(gettext("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        table = _read_xlsx(data, cap)
    elif data.startswith(UTF16_BOMS):
        # Excel's "Unicode text" export: UTF-16 with a byte-order mark, tab-separated.
        table = _read_csv(data, encoding or "utf-16", cap)
    elif _looks_binary(data):
        raise ImportFileError(
            gettext("This is not a CSV or Excel file. Upload a .csv or .xlsx file.")
        )
    else:
        table = _read_csv(data, encoding, cap)
    return _checked(table)


def _looks_binary(data: bytes) -> bool:
    # Text files never hold NUL bytes; images, PDFs and old .xls files always do early on.
    head = data[:4096]
    return b"\x00" in head or head.startswith((b"\x89PNG", b"%PDF", b"GIF8", b"\xff\xd8\xff"))


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


def _too_many(cap: int) -> ImportFileError:
    return ImportFileError(
        gettext(
            "The file has more than %(cap)s data rows. Split it into smaller files.",
            cap=format_decimal(cap),
        )
    )


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


def _read_csv(data: bytes, encoding: str | None, cap: int) -> Table:
    text, used = _decode(data, encoding)
    delimiter = sniff_delimiter(text)
    # strict: a stray or unclosed quote is an error, not a silently merged row.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    headers: list[str] | None = None
    rows: list[list[str]] = []
    ended = 0  # the last line of the last record read whole: a broken one starts after it
    try:
        for record in reader:
            ended = reader.line_num
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue
            if headers is None:
                headers = cells
                continue
            if len(rows) >= cap:
                raise _too_many(cap)
            rows.append(_fit(cells, len(headers)))
    except csv.Error as exc:
        raise ImportFileError(
            gettext(
                "The quoting is broken in the row starting on line %(line)d (%(detail)s). "
                "Check the quotation marks there.",
                line=ended + 1,
                detail=str(exc),
            )
        ) from None
    return Table(headers=headers or [], rows=rows, kind="csv", encoding=used, delimiter=delimiter)


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


def _read_xlsx(data: bytes, cap: int) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise ImportFileError(
                    gettext("This is not a CSV or Excel file. Upload a .csv or .xlsx file.")
                )
    except zipfile.BadZipFile:
        raise ImportFileError(gettext("The Excel file is damaged and cannot be read.")) from None
    try:
        # data_only=False: a formula comes back as its text ("=SUM(A1:A3)") and is never run.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many types for damaged files
        raise ImportFileError(gettext("The Excel file is damaged and cannot be read.")) from None
    try:
        sheet = book.worksheets[0]
        headers: list[str] | None = None
        rows: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True):
            cells = [_xlsx_text(v) for v in values]
            if not any(cells):
                continue
            if headers is None:
                while cells and not cells[-1]:
                    cells.pop()
                headers = cells
                continue
            if len(rows) >= cap:
                raise _too_many(cap)
            rows.append(_fit(cells, len(headers)))
    finally:
        book.close()
    return Table(headers=headers or [], rows=rows, kind="xlsx")
