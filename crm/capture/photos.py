"""Business-card photos: checked by their first bytes and size, stored, recorded per lead.
(dimensions, from core/image_headers.py, is kept importable from here.)"""

from flask_babel import gettext
from werkzeug.datastructures import FileStorage

from core.image_headers import dimensions
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
