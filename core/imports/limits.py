"""What reading one import file may cost: rows, columns, cell and table size, the archive's
inflated size and compression ratio, and the time spent; each refusal says what to change."""

import zipfile
from dataclasses import dataclass
from time import monotonic

from flask import current_app, has_app_context
from flask_babel import format_decimal, gettext

from core.imports.errors import ImportFileError

# Excel keeps at most 32,767 characters in a cell: more never came from a real spreadsheet.
EXCEL_CELL_CHARS = 32_767
# Parts this small may compress as well as they like: the ratio only matters for big ones.
RATIO_FLOOR_BYTES = 1024 * 1024
# Parts an OOXML package never needs: links to other workbooks (fetched by Excel, never by us).
EXTERNAL_LINKS = "xl/externalLinks/"


@dataclass(frozen=True)
class Limits:
    rows: int = 100_000
    columns: int = 500
    cell_chars: int = EXCEL_CELL_CHARS
    table_chars: int = 50_000_000
    seconds: float = 25.0
    zip_ratio: int = 100
    unzipped_mb: int = 200

    @classmethod
    def current(cls, max_rows: int | None = None) -> "Limits":
        """The IMPORT_* settings (defaults outside an app), max_rows overriding IMPORT_MAX_ROWS."""
        config = current_app.config if has_app_context() else {}
        defaults = cls()
        return cls(
            rows=max_rows if max_rows is not None else config.get("IMPORT_MAX_ROWS", defaults.rows),
            columns=config.get("IMPORT_MAX_COLUMNS", defaults.columns),
            cell_chars=config.get("IMPORT_MAX_CELL_CHARS", defaults.cell_chars),
            table_chars=config.get("IMPORT_MAX_TABLE_CHARS", defaults.table_chars),
            seconds=config.get("IMPORT_PARSE_SECONDS", defaults.seconds),
            zip_ratio=config.get("IMPORT_ZIP_RATIO", defaults.zip_ratio),
            unzipped_mb=config.get("IMPORT_MAX_UNZIPPED_MB", defaults.unzipped_mb),
        )


class Meter:
    """Counts what a reader has taken in and refuses the file once it is over a limit.

    The clock is checked in the reader's own loop: no signal or thread, so it works the same
    under gunicorn's sync workers, in a background thread and on the command line.
    """

    def __init__(self, limits: Limits):
        self.limits = limits
        self.deadline = monotonic() + limits.seconds
        self.chars = 0

    def tick(self) -> None:
        if monotonic() > self.deadline:
            raise ImportFileError(
                gettext(
                    "The file is too large or too complex to read within %(seconds)s seconds. "
                    "Split it into smaller files, or delete empty rows and columns at its end.",
                    seconds=format_decimal(self.limits.seconds),
                )
            )

    def columns(self, width: int) -> None:
        if width > self.limits.columns:
            raise ImportFileError(
                gettext(
                    "The header row has %(count)s columns; at most %(cap)s can be imported. "
                    "Delete the columns you do not need.",
                    count=format_decimal(width),
                    cap=format_decimal(self.limits.columns),
                )
            )

    def rows(self, count: int) -> None:
        if count > self.limits.rows:
            raise ImportFileError(
                gettext(
                    "The file has more than %(cap)s data rows. Split it into smaller files.",
                    cap=format_decimal(self.limits.rows),
                )
            )

    def cells(self, cells: list[str], line: int) -> None:
        """One row's cells (line: its row or line number in the file, for the message)."""
        size = 0
        for cell in cells:
            if len(cell) > self.limits.cell_chars:
                raise self.cell_too_long(line)
            size += len(cell)
        self.chars += size
        if self.chars > self.limits.table_chars:
            raise ImportFileError(
                gettext(
                    "The file holds more than %(cap)s characters of text. "
                    "Split it into smaller files.",
                    cap=format_decimal(self.limits.table_chars),
                )
            )

    def cell_too_long(self, line: int) -> ImportFileError:
        return ImportFileError(
            gettext(
                "Row %(line)s holds a cell of more than %(cap)s characters, more than a "
                "spreadsheet cell can hold. Shorten it or leave it out.",
                line=format_decimal(line),
                cap=format_decimal(self.limits.cell_chars),
            )
        )


def check_archive(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a workbook from its central directory alone, before anything is inflated.

    The declared sizes can be trusted as an upper bound: zipfile stops inflating a part at its
    declared size (and then fails its checksum), so a part that lies is only ever damaged.
    """
    parts = archive.infolist()
    total = sum(part.file_size for part in parts)
    too_dense = any(
        part.file_size > RATIO_FLOOR_BYTES
        and part.file_size > limits.zip_ratio * max(part.compress_size, 1)
        for part in parts
    )
    if too_dense:
        raise ImportFileError(
            gettext(
                "The Excel file unpacks to far more data than a real spreadsheet of its size "
                "(it may be a zip bomb), so it was not opened. Save it again from Excel."
            )
        )
    if total > limits.unzipped_mb * 1024 * 1024:
        raise ImportFileError(
            gettext(
                "The Excel file unpacks to more than %(mb)s MB. Split it into smaller files.",
                mb=format_decimal(limits.unzipped_mb),
            )
        )
    if any(part.filename.startswith(EXTERNAL_LINKS) for part in parts):
        raise ImportFileError(
            gettext(
                "The Excel file refers to other workbooks (external links). In Excel, break the "
                "links or paste the cells as values, save, and upload the file again."
            )
        )
