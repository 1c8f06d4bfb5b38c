"""Business-card photos: checked by their first bytes and size, stored, recorded per lead."""

import re

from flask_babel import gettext
from werkzeug.datastructures import FileStorage

from core.models import LeadFile
from core.uploads import display_name, write_upload

MAX_PHOTO_BYTES = 8 * 1024 * 1024
# A few kilobytes of PNG can declare a 50,000 × 50,000 image that takes gigabytes to show.
MAX_PHOTO_MEGAPIXELS = 40
# HEIF brands a phone writes (iPhones: heic; others: mif1, heix …).
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}


class PhotoError(ValueError):
    """The upload is not a photo we keep; the message is for the person who sent it."""


def sniff(head: bytes) -> str | None:
    """The image type from a file's first bytes, whatever its name or claimed type says."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "image/heic"
    return None


def read_photo(upload: FileStorage | None) -> tuple[bytes, str, str] | None:
    """(data, content type, display name) of an uploaded photo; None when none was sent."""
    if upload is None or not upload.filename:
        return None
    data = upload.stream.read(MAX_PHOTO_BYTES + 1)
    if not data:
        return None
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(
            gettext(
                "The photo is larger than %(mb)d MB; take it again at a lower resolution.", mb=8
            )
        )
    content_type = sniff(data[:16])
    if content_type is None:
        raise PhotoError(gettext("The photo must be a JPEG, PNG, WebP or HEIC image."))
    width, height = dimensions(data, content_type) or (0, 0)
    if width * height > MAX_PHOTO_MEGAPIXELS * 1_000_000:
        raise PhotoError(
            gettext(
                "The photo has more than %(megapixels)d megapixels; take it again at a lower "
                "resolution.",
                megapixels=MAX_PHOTO_MEGAPIXELS,
            )
        )
    return data, content_type, display_name(upload.filename, "card")


def dimensions(data: bytes, content_type: str) -> tuple[int, int] | None:
    """(width, height) as the image's header declares them, without decoding it; None when
    the header does not say (the photo is then kept, as any browser would refuse to show it)."""
    if content_type == "image/png" and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if content_type == "image/jpeg":
        return _jpeg_dimensions(data)
    if content_type == "image/webp":
        return _webp_dimensions(data)
    # HEIF: each image's "ispe" property box holds its size; the largest is the main image.
    sizes = [
        (int.from_bytes(data[at + 8 : at + 12], "big"), int.from_bytes(data[at + 12 : at + 16]))
        for at in (m.start() for m in re.finditer(b"ispe", data[:65536]))
    ]
    return max(sizes, key=lambda size: size[0] * size[1]) if sizes else None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            at += 2
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a frame header
            return int.from_bytes(data[at + 7 : at + 9]), int.from_bytes(data[at + 5 : at + 7])
        elif marker == 0xDA:  # the image data starts: no frame header came before it
            return None
        else:
            at += 2 + int.from_bytes(data[at + 2 : at + 4])
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        return (
            int.from_bytes(data[26:28], "little") & 0x3FFF,
            int.from_bytes(data[28:30], "little") & 0x3FFF,
        )
    return None


def store_photo(lead_id: int, data: bytes, content_type: str, name: str, user_id) -> LeadFile:
    """Write the photo under a generated name and return its (unsaved) record; the file goes
    again if the transaction does not commit. StorageUnavailable if it cannot be written."""
    relative = write_upload(f"leads/{lead_id}", f".{EXTENSIONS[content_type]}", data)
    return LeadFile(
        lead_id=lead_id,
        kind="business_card",
        filename=name,
        content_type=content_type,
        size=len(data),
        path=relative,
        uploaded_by_id=user_id,
    )
