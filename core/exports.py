"""Spreadsheet downloads (CSV with BOM, XLSX) with formula injection neutralised in every cell."""

import csv
import io
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from flask import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# A cell starting with one of these is run as a formula by Excel, LibreOffice or Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(value):
    """The cell as text a spreadsheet shows and never evaluates (OWASP: prefix a quote)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _xlsx_cell(value):
    # Numbers stay numbers (sums work); everything else is written as neutralised text.
    if value is None or isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", _text(value)))


def write_csv(out, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """UTF-8 with a byte-order mark, so Excel opens 中文 correctly; out is a binary file."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(_text(v)) for v in row])
    text.flush()
    text.detach()


def write_xlsx(out, header: Sequence[str], rows: Iterable[Sequence], title: str) -> None:
    """Streamed (write_only) so a 100k-row export does not hold every cell in memory."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append([_xlsx_cell(h) for h in header])
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    book.save(out)


def download(fmt: str, filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """A response carrying the table as a file: fmt is csv or xlsx."""
    # Spooled: small exports stay in memory, large ones go to a temporary file.
    # Closed by _chunks once the response is sent, so no context manager here.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    if fmt == "xlsx":
        write_xlsx(out, header, rows, title=filename.rsplit(".", 1)[0])
    else:
        write_csv(out, header, rows)
    size = out.tell()
    out.seek(0)
    response = Response(_chunks(out), mimetype=MIMETYPES[fmt], direct_passthrough=True)
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _chunks(out, size: int = 64 * 1024):
    try:
        while chunk := out.read(size):
            yield chunk
    finally:
        out.close()
