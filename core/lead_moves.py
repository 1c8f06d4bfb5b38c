"""A lead's move from stage to stage: the one operation every move goes through, with its side
effects (history, furthest stage, first-response clock, referral status, project, plots, audit)."""

from datetime import datetime

from flask_babel import gettext

from core import audit, projects
from core.extensions import db
from core.leads import record_stage
from core.models import LEAD_STAGES, Lead, ListItem, StageChange, User
from core.models.base import utcnow
from core.refusals import Refused
from core.stages import lead_stage_label

NOTE_MAX = 2000
SIGNING_ROLES = ("admin", "manager")  # besides the lead's owner


def changed_elsewhere(lead: Lead) -> Refused:
    """The refusal of a change made on a page older than the lead."""
    owner = lead.owner.name if lead.owner else gettext("nobody")
    return Refused(
        gettext(
            "Someone else changed this lead after you opened the page: it is now in stage "
            "“%(stage)s”, owned by %(owner)s. Nothing was saved; check and try again.",
            stage=lead_stage_label(lead.stage),
            owner=owner,
        ),
        status=409,
    )


def _check(lead: Lead, to_stage: str, user: User | None, note: str) -> None:
    if to_stage not in LEAD_STAGES:
        raise Refused(gettext("Choose a stage from the list."), field="stage")
    if to_stage == lead.stage:
        raise Refused(
            gettext("The lead is already in stage “%(stage)s”.", stage=lead_stage_label(to_stage)),
            field="stage",
        )
    if (
        to_stage == "signed"
        and user is not None
        and user.role not in SIGNING_ROLES
        and lead.owner_id != user.id
    ):
        raise Refused(gettext("Only the lead's owner or a manager may mark it as signed."), 403)
    if len(note) > NOTE_MAX:
        raise Refused(
            gettext("The note is too long (at most %(max)s characters).", max=NOTE_MAX),
            field="note",
        )


def move_lead(
    lead: Lead,
    to_stage: str,
    user: User | None,
    *,
    lost_reason_id: int | None = None,
    note: str = "",
    at: datetime | None = None,
    audited: bool = True,
) -> StageChange:
    """Move a lead to a stage, or raise Refused saying why not.

    `user` None is a move by the system (a load), which no role limits; `at` dates a move made
    earlier (the demo's year); `audited=False` leaves out the audit entry, for a load that writes
    its own (an entry dated now would stand among the moves of the past on the lead's timeline).
    """
    _check(lead, to_stage, user, note)
    at = at or utcnow()
    changes: dict[str, list] = {"stage": [lead.stage, to_stage]}
    reason = None
    if to_stage == "lost":
        reason = db.session.get(ListItem, lost_reason_id) if lost_reason_id else None
        if reason is None or reason.kind != "lost_reason" or not reason.active:
            raise Refused(gettext("Choose the reason why the lead was lost."), field="lost_reason")
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
        lead.first_response_at = at
        changes["first_response_at"] = [None, lead.first_response_at]
    change = record_stage(
        lead, to_stage, user, at=at, lost_reason_id=reason.id if reason else None, note=note
    )
    if audited:
        audit.record("move", lead, changes)
    if to_stage == "signed":
        projects.open_project(lead, user)
    elif to_stage == "lost":
        projects.clear_reservations_of(lead)
    return change
