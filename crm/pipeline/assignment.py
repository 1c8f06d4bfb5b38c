"""Manual assignment: a lead's owner officer (the team follows) and its liaison leader."""

from flask import flash, redirect, request
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import joinedload

from core import audit, notifications
from core.extensions import db
from core.lead_moves import changed_elsewhere
from core.models import Lead, User
from core.refusals import Refused
from core.unit_of_work import saved
from crm.permissions import get_lead_or_404, require
from crm.pipeline import bp
from crm.pipeline.shared import lead_name, next_page, parse_int


def _active(user_id: int | None, role: str) -> User | None:
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.active and user.role == role else None


def assign_owner(lead: Lead, officer: User) -> None:
    """Give the lead to an officer; the lead joins the officer's team."""
    if lead.owner_id == officer.id:
        raise Refused(gettext("%(name)s already owns this lead.", name=officer.name))
    changes = {"owner_id": [lead.owner_id, officer.id]}
    if lead.team_id != officer.team_id:
        changes["team_id"] = [lead.team_id, officer.team_id]
    lead.owner_id, lead.team_id = officer.id, officer.team_id
    audit.record("assign", lead, changes)
    notifications.lead_assigned(lead, officer, current_user)


def assign_liaison(lead: Lead, leader: User | None) -> None:
    """Name the county leader who is liaison for the lead, or none."""
    new_id = leader.id if leader else None
    if lead.liaison_id == new_id:
        raise Refused(gettext("Nothing changed: that is already the liaison."))
    audit.record("assign", lead, {"liaison_id": [lead.liaison_id, new_id]})
    lead.liaison_id = new_id
    if leader is not None:
        notifications.liaison_named(lead, leader, current_user)


def _apply(lead: Lead) -> str:
    """Apply the one assignment the form asks for; returns the confirmation."""
    if "owner" in request.form:
        officer = _active(parse_int(request.form.get("owner")), "officer")
        if officer is None:
            raise Refused(gettext("Choose an active officer as owner."))
        assign_owner(lead, officer)
        return gettext(
            "%(lead)s is now owned by %(name)s.", lead=lead_name(lead), name=officer.name
        )
    if "liaison" in request.form:
        raw = request.form.get("liaison", "")
        leader = _active(parse_int(raw), "leader")
        if raw and leader is None:
            raise Refused(gettext("Choose an active county leader as liaison."))
        assign_liaison(lead, leader)
        if leader is None:
            return gettext("%(lead)s has no liaison leader now.", lead=lead_name(lead))
        return gettext(
            "%(name)s is now liaison for %(lead)s.", lead=lead_name(lead), name=leader.name
        )
    raise Refused(gettext("Choose an owner or a liaison."))


@bp.route("/leads/<id:lead_id>/assign", methods=["POST"])
@require("lead.assign")
def lead_assign(lead_id: int):
    lead = get_lead_or_404(lead_id, "lead.assign", joinedload(Lead.owner))
    target = next_page()
    try:
        if parse_int(request.form.get("version")) != lead.version_id:
            flash(changed_elsewhere(lead).message, "error")
            return redirect(target)
        message = _apply(lead)
    except Refused as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return redirect(target)
    if not saved():
        lead = get_lead_or_404(lead_id, "lead.assign", joinedload(Lead.owner))
        flash(changed_elsewhere(lead).message, "error")
        return redirect(target)
    flash(message, "success")
    return redirect(target)
