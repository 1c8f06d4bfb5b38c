"""The move form and the board's moves: core.lead_moves.move_lead, its refusal as a response."""

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload

from core.extensions import db
from core.lead_moves import changed_elsewhere, move_lead
from core.models import LEAD_STAGES, Lead
from core.projects import project_of
from core.refusals import Refused
from core.stages import lead_stage_label
from core.unit_of_work import saved
from crm.permissions import get_lead_or_404, require
from crm.pipeline import bp
from crm.pipeline.board import column_summary, filters_from_url
from crm.pipeline.shared import lead_name, next_page, parse_int, wants_json


def _signing_page(lead_id: int, chosen: dict) -> str:
    return url_for("crm.pipeline.lead_sign", lead_id=lead_id, next=chosen["next"])


def _refused(lead_id: int, refusal: Refused, chosen: dict):
    if refusal.field == "signing":  # signing is a moment: its own page asks for the contract
        if wants_json():
            url = _signing_page(lead_id, chosen)
            return jsonify(ok=False, message=refusal.message, field="signing", url=url), 409
        return redirect(_signing_page(lead_id, chosen))
    if wants_json():
        return jsonify(ok=False, message=refusal.message, field=refusal.field), refusal.status
    lead = get_lead_or_404(lead_id, "lead.move", joinedload(Lead.owner))
    return (
        render_template("crm/pipeline/move.html", lead=lead, refusal=refusal, chosen=chosen),
        refusal.status,
    )


@bp.route("/leads/<id:lead_id>/move", methods=["GET", "POST"])
@require("lead.move")
def lead_move(lead_id: int):
    lead = get_lead_or_404(lead_id, "lead.move", joinedload(Lead.owner))
    if request.method == "GET":
        # The board sends a lead here to be lost: the reason is asked on this page.
        stage = request.args.get("stage", "")
        chosen = {
            "stage": stage if stage in LEAD_STAGES else "",
            "next": next_page(request.args.get("next", "")),
        }
        if chosen["stage"] == "signed" and project_of(lead) is None:
            return redirect(_signing_page(lead_id, chosen))
        return render_template("crm/pipeline/move.html", lead=lead, refusal=None, chosen=chosen)
    chosen = {
        "stage": request.form.get("stage", "")[:20],
        "lost_reason": parse_int(request.form.get("lost_reason")),
        "note": request.form.get("note", "").strip(),
        "next": next_page(),
    }
    try:
        if parse_int(request.form.get("version")) != lead.version_id:
            raise changed_elsewhere(lead)
        # The referrer's news at a milestone leaves with the request's commit.
        move_lead(
            lead,
            chosen["stage"],
            current_user,
            lost_reason_id=chosen["lost_reason"],
            note=chosen["note"],
        )
    except Refused as refusal:
        db.session.rollback()
        return _refused(lead_id, refusal, chosen)
    if not saved():  # another request moved or edited the lead between our read and our write
        lead = get_lead_or_404(lead_id, "lead.move", joinedload(Lead.owner))
        return _refused(lead_id, changed_elsewhere(lead), chosen)
    message = gettext(
        "Moved %(lead)s to %(stage)s.", lead=lead_name(lead), stage=lead_stage_label(lead.stage)
    )
    if wants_json():
        return jsonify(
            ok=True,
            message=message,
            stage=lead.stage,
            version=lead.version_id,
            in_stage=ngettext("%(num)d day", "%(num)d days", 0),
            columns=column_summary(filters_from_url(chosen["next"])),
        )
    flash(message, "success")
    return redirect(chosen["next"])
