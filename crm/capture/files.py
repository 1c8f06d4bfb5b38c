"""Files kept with a lead (business-card photos), shown to whoever may see the lead."""

from flask import abort, send_file
from sqlalchemy import or_, select

from core.extensions import db
from core.models import Lead, LeadFile
from core.uploads import upload_root
from crm.capture import bp
from crm.permissions import MAX_ID, get_lead_or_404, require


@bp.route("/leads/<int:lead_id>/files/<int:file_id>")
@require("lead.view")
def lead_file(lead_id: int, file_id: int):
    lead = get_lead_or_404(lead_id)
    if not 0 < file_id <= MAX_ID:
        abort(404)
    kept = db.session.scalar(
        select(LeadFile).where(
            LeadFile.id == file_id, LeadFile.lead_id.in_(_lead_and_merged(lead.id))
        )
    )
    path = (upload_root() / kept.path) if kept is not None else None
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, mimetype=kept.content_type, download_name=kept.filename, max_age=0)


def _lead_and_merged(lead_id: int):
    # A merge keeps both histories: the files of leads merged into this one are its files too.
    return select(Lead.id).where(or_(Lead.id == lead_id, Lead.merged_into_id == lead_id))


def files_of(lead_id: int) -> list[LeadFile]:
    return list(
        db.session.scalars(
            select(LeadFile)
            .where(LeadFile.lead_id.in_(_lead_and_merged(lead_id)))
            .order_by(LeadFile.id)
        )
    )


@bp.app_context_processor
def lead_files_helper():
    # The lead page lists a lead's files without its view knowing about them.
    return {"lead_files": files_of}
