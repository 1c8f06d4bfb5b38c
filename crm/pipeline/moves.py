"""Moving a lead between stages: the one function every move goes through, and its form."""

from flask import flash, jsonify, redirect, render_template, request
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from core import audit, outbox, projects
from core.extensions import db
from core.leads import record_stage
from core.models import LEAD_STAGES, Lead, ListItem, User
from core.models.base import utcnow
from crm.permissions import get_lead_or_404, require
from crm.pipeline import bp
from crm.pipeline.board import column_summary, filters_from_url
from crm.pipeline.shared import NOTE_MAX, lead_name, parse_int, safe_next, stage_label, wants_json


class MoveRefused(Exception):
    """A move that cannot be made; the message says why, `field` names the input at fault."""

    def __init__(self, message: str, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message, self.status, self.field = message, status, field


def changed_elsewhere(lead: Lead) -> MoveRefused:
    owner = lead.owner.name if lead.owner else gettext("nobody")
    return MoveRefused(
        gettext(
            "Someone else changed this lead after you opened the page: it is now in stage "
            "“%(stage)s”, owned by %(owner)s. Nothing was saved; check and try again.",
            stage=stage_label(lead.stage),
            owner=owner,
        ),
        status=409,
    )


def move_lead(
    lead: Lead, to_stage: str, user: User, *, lost_reason_id: int | None = None, note: str = ""
) -> None:
    """Move a lead to a stage, with its history and one audit entry.

    Every move goes through here, so the hand-over of signed leads to projects belongs here too.
    """
    if to_stage not in LEAD_STAGES:
        raise MoveRefused(gettext("Choose a stage from the list."), field="stage")
    if to_stage == lead.stage:
        raise MoveRefused(
            gettext("The lead is already in stage “%(stage)s”.", stage=stage_label(to_stage)),
            field="stage",
        )
    if to_stage == "signed" and user.role not in ("admin", "manager") and lead.owner_id != user.id:
        raise MoveRefused(
            gettext("Only the lead's owner or a manager may mark it as signed."), status=403
        )
    if len(note) > NOTE_MAX:
        raise MoveRefused(
            gettext("The note is too long (at most %(max)s characters).", max=NOTE_MAX),
            field="note",
        )
    changes: dict[str, list] = {"stage": [lead.stage, to_stage]}
    reason = None
    if to_stage == "lost":
        reason = db.session.get(ListItem, lost_reason_id) if lost_reason_id else None
        if reason is None or reason.kind != "lost_reason" or not reason.active:
            raise MoveRefused(
                gettext("Choose the reason why the lead was lost."), field="lost_reason"
            )
        changes["lost_reason"] = [lead.lost_reason.code if lead.lost_reason else None, reason.code]
        changes["lost_note"] = [lead.lost_note, note]
        lead.lost_reason_id, lead.lost_note = reason.id, note
    elif lead.stage == "lost":
        changes["lost_reason"] = [lead.lost_reason.code if lead.lost_reason else None, None]
        changes["lost_note"] = [lead.lost_note, ""]
        lead.lost_reason_id, lead.lost_note = None, ""
    elif note:
        changes["note"] = ["", note]
    # Any step forward means someone has answered: the first-response clock stops.
    if to_stage not in ("new", "lost") and lead.first_response_at is None:
        lead.first_response_at = utcnow()
        changes["first_response_at"] = [None, lead.first_response_at]
    record_stage(lead, to_stage, user, lost_reason_id=reason.id if reason else None, note=note)
    audit.record("move", lead, changes)
    if to_stage == "signed":
        projects.open_project(lead, user)
    elif to_stage == "lost":
        projects.clear_reservations_of(lead)


def _refused(lead_id: int, refusal: MoveRefused, chosen: dict):
    if wants_json():
        return jsonify(ok=False, message=refusal.message, field=refusal.field), refusal.status
    lead = get_lead_or_404(lead_id, "lead.move", joinedload(Lead.owner))
    return (
        render_template("crm/pipeline/move.html", lead=lead, refusal=refusal, chosen=chosen),
        refusal.status,
    )


@bp.route("/leads/<int:lead_id>/move", methods=["GET", "POST"])
@require("lead.move")
def lead_move(lead_id: int):
    lead = get_lead_or_404(lead_id, "lead.move", joinedload(Lead.owner))
    if request.method == "GET":
        # The board sends a lead here to be lost: the reason is asked on this page.
        stage = request.args.get("stage", "")
        chosen = {
            "stage": stage if stage in LEAD_STAGES else "",
            "next": safe_next(request.args.get("next", "")),
        }
        return render_template("crm/pipeline/move.html", lead=lead, refusal=None, chosen=chosen)
    chosen = {
        "stage": request.form.get("stage", "")[:20],
        "lost_reason": parse_int(request.form.get("lost_reason")),
        "note": request.form.get("note", "").strip(),
        "next": safe_next(),
    }
    try:
        if parse_int(request.form.get("version")) != lead.version_id:
            raise changed_elsewhere(lead)
        with outbox.written() as email_ids:  # the referrer's news at a milestone
            move_lead(
                lead,
                chosen["stage"],
                current_user,
                lost_reason_id=chosen["lost_reason"],
                note=chosen["note"],
            )
            db.session.commit()
    except MoveRefused as refusal:
        db.session.rollback()
        return _refused(lead_id, refusal, chosen)
    except StaleDataError:
        # Another request moved or edited the lead between our read and our write.
        db.session.rollback()
        lead = get_lead_or_404(lead_id, "lead.move", joinedload(Lead.owner))
        return _refused(lead_id, changed_elsewhere(lead), chosen)
    outbox.send_now(email_ids)
    message = gettext(
        "Moved %(lead)s to %(stage)s.", lead=lead_name(lead), stage=stage_label(lead.stage)
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
