"""What the import pages share: a job the user may see, its file read by the engine, labels."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.extensions import db
from core.imports import FIELDS, ImportFileError, load_table
from core.models.lead_import import ImportJob
from core.uploads import upload_kept

STATUS_LABELS = {
    "draft": _l("Not run yet"),
    "running": _l("Running"),
    "done": _l("Done"),
    "failed": _l("Failed, nothing written"),
    "undone": _l("Undone"),
}
DECISION_LABELS = {
    "create": _l("New lead"),
    "merge": _l("Merge into the proposed match"),
    "different": _l("Different firm: new lead, remembered"),
    "skip": _l("Skip"),
    "reject": _l("Rejected"),
}


def choice_label(value: str, check=None) -> str:
    """A row's choice in words, pointing elsewhere included ("row:3", "lead:42")."""
    kind, _, number = value.partition(":")
    if kind == "row" and number.isdigit():
        return gettext("Merge into row %(row)s of this file", row=number)
    if kind == "lead" and number.isdigit():
        label = check.match.label if check is not None and check.match is not None else number
        return gettext("Merge into the lead %(company)s", company=label)
    return str(DECISION_LABELS.get(value, value))


def field_labels() -> dict[str, str]:
    """Target field key -> its label; "" is the choice to leave a column out."""
    labels = {"": gettext("Do not import")}
    labels.update({key: str(label) for key, label in FIELDS if key})
    return labels


def job_or_404(job_id: int) -> ImportJob:
    """An import the user may see: their own, or any for admins and managers; else 404."""
    job = db.session.get(ImportJob, job_id)
    if job is None or not (
        current_user.role in ("admin", "manager") or job.created_by_id == current_user.id
    ):
        abort(404)
    return job


def editable(job: ImportJob) -> bool:
    """Mapping and decisions may change until the import has really written something."""
    return job.status in ("draft", "failed") or (job.status == "done" and job.dry_run)


def draft_and_table(job_id: int, read: bool = True):
    """(job, table, None) for a job still being prepared, else (job, None, where to go instead):
    its page once it has run, or with a message when its file no longer reads. With read False
    the file is not read here (table None): the review of a large file is stored."""
    job = job_or_404(job_id)
    elsewhere = redirect(url_for("crm.imports.import_job", job_id=job.id))
    if not editable(job):
        return job, None, elsewhere
    if not read:
        if job.stored_path and upload_kept(job.stored_path):
            return job, None, None
        flash(gettext("The uploaded file is no longer stored."), "error")
        return job, None, elsewhere
    try:
        return job, load_table(job), None
    except ImportFileError as exc:
        flash(exc.message, "error")
        return job, None, elsewhere
