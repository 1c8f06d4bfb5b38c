"""Files an officer attaches to a mail: the types we send (decided by their first bytes), size
and count limits, Office archives and images refused when they are bombs; kept with the lead."""

import io
import zipfile

from flask_babel import gettext

from core.audit import record
from core.extensions import db
from core.image_headers import dimensions
from core.mail_in.attachments import MAX_BYTES, MAX_MB, OFFICE, TYPES, sniff
from core.models import LeadFile
from core.uploads import display_name, write_upload

MAX_COUNT = 10
MAX_FILE_MB = MAX_MB
# Mail servers commonly refuse messages over 20-25 MB; base64 makes files a third larger.
MAX_TOTAL_MB = 15
MAX_TOTAL_BYTES = MAX_TOTAL_MB * 1024 * 1024
# An Office file is a zip: refuse one that unpacks to more than a real document ever does, or
# whose parts are packed far denser than text and pictures pack (a zip bomb), before any reader
# (ours, a mail filter's, the investor's) inflates it.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO, RATIO_FLOOR_BYTES = 100, 1024 * 1024
# A few kilobytes of PNG can declare a picture that takes gigabytes to show.
MAX_MEGAPIXELS = 40


class AttachmentRefused(ValueError):
    """A file we do not send; the message, for the officer, names it and says why."""


def _check_archive(data: bytes, name: str) -> None:
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise AttachmentRefused(
            gettext("%(name)s is damaged: it is not a readable Office file.", name=name)
        ) from exc
    unpacked = sum(part.file_size for part in parts)
    too_dense = any(
        part.file_size > RATIO_FLOOR_BYTES
        and part.file_size > MAX_RATIO * max(part.compress_size, 1)
        for part in parts
    )
    if too_dense or unpacked > MAX_UNPACKED_BYTES:
        raise AttachmentRefused(
            gettext(
                "%(name)s unpacks to far more data than a real document of its size (it may be "
                "a zip bomb), so it was not attached.",
                name=name,
            )
        )


def check(data: bytes, filename: str | None) -> tuple[str, str]:
    """(content type, display name) of a file we may send; AttachmentRefused otherwise."""
    name = display_name(filename, "attachment")
    if len(data) > MAX_BYTES:
        raise AttachmentRefused(
            gettext("%(name)s is larger than %(mb)d MB. Send a smaller file.", name=name, mb=MAX_MB)
        )
    kind = sniff(data, name)
    if kind is None:
        raise AttachmentRefused(
            gettext(
                "%(name)s cannot be attached: send a PDF, a JPEG or PNG image, or a Word, Excel "
                "or PowerPoint file (.docx, .xlsx, .pptx), named for what it is.",
                name=name,
            )
        )
    if kind in OFFICE.values():
        _check_archive(data, name)
    width, height = dimensions(data, kind) or (0, 0)
    if width * height > MAX_MEGAPIXELS * 1_000_000:
        raise AttachmentRefused(
            gettext(
                "%(name)s declares a picture of more than %(megapixels)d megapixels; save it "
                "at a lower resolution.",
                name=name,
                megapixels=MAX_MEGAPIXELS,
            )
        )
    return kind, name


def check_together(sizes: list[int]) -> None:
    """The files of one mail, together: at most MAX_COUNT and MAX_TOTAL_MB."""
    if len(sizes) > MAX_COUNT:
        raise AttachmentRefused(
            gettext("Attach at most %(count)d files to one email.", count=MAX_COUNT)
        )
    if sum(sizes) > MAX_TOTAL_BYTES:
        raise AttachmentRefused(
            gettext(
                "The attachments together are larger than %(mb)d MB, more than mail servers "
                "accept. Send fewer or smaller files.",
                mb=MAX_TOTAL_MB,
            )
        )


def keep(lead_id: int, data: bytes, kind: str, name: str, user_id: int) -> LeadFile:
    """Store a checked file with the lead (its files list shows it) and record it in the audit
    trail; StorageUnavailable if it cannot be written (the file goes again on rollback)."""
    kept = LeadFile(
        lead_id=lead_id,
        kind="sent_attachment",
        filename=name,
        content_type=kind,
        size=len(data),
        path=write_upload(f"leads/{lead_id}", f".{TYPES[kind][0]}", data),
        uploaded_by_id=user_id,
    )
    db.session.add(kept)
    db.session.flush()
    record(
        "create",
        kept,
        {"kind": [None, kept.kind], "filename": [None, name], "size": [None, kept.size]},
    )
    return kept
