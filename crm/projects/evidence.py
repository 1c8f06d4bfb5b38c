"""Documents proving a project's stage: checked by their first bytes, stored, served."""

from flask import abort
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from core.extensions import db
from core.models import ProjectMilestone
from core.uploads import display_name, remove_after_commit, send_upload, write_upload
from crm.permissions import require
from crm.projects import bp, get_project_or_404

MAX_DOCUMENT_MB = 10
MAX_DOCUMENT_BYTES = MAX_DOCUMENT_MB * 1024 * 1024
# Content type -> (extension we store it under, extensions a file of that type may be sent with).
TYPES = {
    "application/pdf": ("pdf", {"pdf"}),
    "image/jpeg": ("jpg", {"jpg", "jpeg", "jpe", "jfif"}),
    "image/png": ("png", {"png"}),
}
FOLDER = "projects"


class DocumentError(ValueError):
    """The upload is not a document we keep; the message is for the person who sent it."""


def sniff(head: bytes) -> str | None:
    """The document type from its first bytes, whatever its name or claimed type says."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def read_document(upload: FileStorage | None) -> tuple[bytes, str, str] | None:
    """(data, content type, file name as sent) of an uploaded document; None when none was sent."""
    if upload is None or not upload.filename:
        return None
    data = upload.stream.read(MAX_DOCUMENT_BYTES + 1)
    if not data:
        raise DocumentError(gettext("The file is empty. Choose the document again."))
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentError(gettext("The document is larger than %(mb)d MB.", mb=MAX_DOCUMENT_MB))
    content_type = sniff(data[:8])
    name = display_name(upload.filename, "")
    suffix = name.rsplit(".", 1)[1].lower() if "." in name else ""
    # A name that promises another type (a text file called permit.pdf) is refused too.
    if content_type is None or (suffix and suffix not in TYPES[content_type][1]):
        raise DocumentError(gettext("The document must be a PDF, JPEG or PNG file."))
    return data, content_type, name or f"document.{TYPES[content_type][0]}"


def store(data: bytes, content_type: str) -> str:
    """Store the document under a generated key; return the key. The file
    goes again if the transaction does not commit; StorageUnavailable if it cannot be written."""
    return write_upload(FOLDER, f".{TYPES[content_type][0]}", data)


def remove(relative: str | None) -> None:
    """Remove a stored document whose record points to another file once that is committed."""
    if relative and relative.startswith(f"{FOLDER}/"):
        remove_after_commit([relative])


def download_name(milestone: ProjectMilestone) -> str:
    """The name as sent when it has the right extension, else one made of the stage."""
    extension, extensions = TYPES.get(milestone.content_type or "", ("bin", set()))
    name = milestone.reference.strip()
    if "." in name and name.rsplit(".", 1)[1].lower() in extensions:
        return name
    return f"project-{milestone.project_id}-{milestone.stage}.{extension}"


@bp.route("/projects/<id:project_id>/evidence/<id:milestone_id>")
@require("project.view")
def project_evidence(project_id: int, milestone_id: int):
    project = get_project_or_404(project_id)
    milestone = db.session.scalar(
        select(ProjectMilestone).where(
            ProjectMilestone.id == milestone_id, ProjectMilestone.project_id == project.id
        )
    )
    response = None
    if milestone is not None and milestone.path:
        response = send_upload(
            milestone.path,
            milestone.content_type or "application/octet-stream",
            download_name(milestone),
            as_attachment=True,
        )
    if response is None:
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
