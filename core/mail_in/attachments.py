"""Attachments of received mail kept with the lead: the types we keep (decided by their first
bytes), at most MAX_MB each and MAX_COUNT a mail, stored through core/uploads.py."""

from core.mail_in.parse import Attachment
from core.models import LeadFile
from core.uploads import display_name, write_upload

MAX_MB = 10
MAX_BYTES = MAX_MB * 1024 * 1024
MAX_COUNT = 10
# Content type -> (extension stored under, extensions a file of that type may be named with).
TYPES = {
    "application/pdf": ("pdf", {"pdf"}),
    "image/jpeg": ("jpg", {"jpg", "jpeg", "jpe", "jfif"}),
    "image/png": ("png", {"png"}),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx", {"docx"}),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx", {"xlsx"}),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "pptx",
        {"pptx"},
    ),
}
OFFICE = {ext: kind for kind, (ext, _) in TYPES.items() if ext in ("docx", "xlsx", "pptx")}


def sniff(data: bytes, name: str) -> str | None:
    """The type we keep the file as, from its bytes (and, for Office files, a matching name)."""
    suffix = name.rsplit(".", 1)[1].lower() if "." in name else ""
    if data.startswith(b"%PDF-"):
        kind = "application/pdf"
    elif data.startswith(b"\xff\xd8\xff"):
        kind = "image/jpeg"
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "image/png"
    elif data.startswith(b"PK\x03\x04") and suffix in OFFICE:
        kind = OFFICE[suffix]
    else:
        return None
    # A name promising another type (a script called offer.pdf) is not kept either.
    return kind if not suffix or suffix in TYPES[kind][1] else None


def keep(lead_id: int, attachments: list[Attachment]) -> tuple[list[LeadFile], list[str]]:
    """Store the attachments we keep; return their (unsaved) records and the names left out."""
    kept, left_out = [], []
    for attachment in attachments:
        name = display_name(attachment.filename, "attachment")
        kind = sniff(attachment.data, name) if len(attachment.data) <= MAX_BYTES else None
        if kind is None or len(kept) >= MAX_COUNT:
            left_out.append(name)
            continue
        key = write_upload(f"leads/{lead_id}", f".{TYPES[kind][0]}", attachment.data)
        kept.append(
            LeadFile(
                lead_id=lead_id,
                kind="mail_attachment",
                filename=name,
                content_type=kind,
                size=len(attachment.data),
                path=key,
            )
        )
    return kept, left_out
