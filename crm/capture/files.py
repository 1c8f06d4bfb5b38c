"""Files kept with a lead (business-card photos), shown to whoever may see the lead."""

from flask import abort
from sqlalchemy import or_, select

from core.extensions import db
from core.models import Lead, LeadFile
from core.uploads import send_upload
from crm.capture import bp
from crm.permissions import get_lead_or_404, require


@bp.route("/leads/<id:lead_id>/files/<id:file_id>")
@require("lead.view")
def lead_file(lead_id: int, file_id: int):
    lead = get_lead_or_404(lead_id)
    kept = db.session.scalar(
        select(LeadFile).where(
            LeadFile.id == file_id, LeadFile.lead_id.in_(_lead_and_merged(lead.id))
        )
    )
    response = send_upload(kept.path, kept.content_type, kept.filename) if kept else None
    if response is None:
        abort(404)
    return response


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
