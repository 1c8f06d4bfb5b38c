"""A lead's move from stage to stage: the one operation every move goes through, with its side
effects (history, furthest stage, first-response clock, referral status, project, plots, audit)."""

from datetime import datetime

from flask_babel import gettext

from core import audit, notifications, projects
from core import signing as signings
from core.extensions import db
from core.leads import record_stage
from core.models import LEAD_STAGES, Lead, ListItem, StageChange, User
from core.models.base import utcnow
from core.refusals import Refused
from core.signing import Signing
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


def _take_signing(lead: Lead, signing: Signing, user: User | None, changes: dict) -> None:
    """The lead takes the contract's amount (the board sums it) and the liaison named at signing
    (who then sees it by name)."""
    if lead.planned_investment != signing.amount:
        changes["planned_investment"] = [lead.planned_investment, signing.amount]
        lead.planned_investment = signing.amount
    if signing.liaison is not None and lead.liaison_id != signing.liaison.id:
        changes["liaison_id"] = [lead.liaison_id, signing.liaison.id]
        lead.liaison_id = signing.liaison.id
        notifications.liaison_named(lead, signing.liaison, user)


def move_lead(
    lead: Lead,
    to_stage: str,
    user: User | None,
    *,
    lost_reason_id: int | None = None,
    note: str = "",
    at: datetime | None = None,
    audited: bool = True,
    signing: Signing | None = None,
) -> StageChange:
    """Move a lead to a stage, or raise Refused saying why not.

    `user` None is a move by the system (a load), which no role limits; `at` dates a move made
    earlier (the demo's year); `audited=False` leaves out the audit entry, for a load that writes
    its own (an entry dated now would stand among the moves of the past on the lead's timeline).
    A person's move to "signed" needs the `signing` (the contract's figures and agreement); a
    load opens the project without them, and it waits for its figures (core.projects).
    """
    _check(lead, to_stage, user, note)
    if signing is not None:
        signings.check(signing, lead, projects.park_today())
    elif to_stage == "signed" and audited and user is not None and not projects.project_of(lead):
        raise signings.missing()  # signed again after a step back: the project has its figures
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
    if signing is not None:
        _take_signing(lead, signing, user, changes)
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
        projects.open_project(lead, user, signing)
    elif to_stage == "lost":
        projects.clear_reservations_of(lead)
    return change
