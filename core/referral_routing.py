"""Which desk a referral waits with until it is decided: the assignment rules' team when it is
submitted, a manager's choice, or the team of the officer who takes it on. None is the shared
inbox every officer works from (the rule is in docs/ROLES.md, its scope in core/permissions.py).
"""

from flask_babel import gettext
from sqlalchemy import select

from core import audit, leads, notifications
from core.extensions import db
from core.models import Referral, Team, User
from core.refusals import Refused


def team_for(referral: Referral) -> int | None:
    """Where a referral not yet stored waits: with an undecided referral of the same company
    (one desk sees both and decides the first in time first), else with the team the
    assignment rules would give its lead."""
    if referral.company_key:
        waiting = db.session.execute(
            select(Referral.team_id)
            .where(Referral.company_key == referral.company_key, Referral.decision == "submitted")
            .order_by(Referral.created_at, Referral.id)
            .limit(1)
        ).first()
        if waiting is not None:
            return waiting.team_id
    return leads.rule_team(referral.contact_language, referral.industry)


def route(referral: Referral, team: Team | None, by: User | None = None) -> None:
    """A manager sends an undecided referral to a team, or back to the shared inbox (None)."""
    if referral.decision != "submitted":
        raise Refused(gettext("This referral was already decided."))
    team_id = team.id if team is not None else None
    if referral.team_id == team_id:
        raise Refused(gettext("Nothing changed: the referral already waits there."))
    audit.record("route", referral, {"team": [referral.team_id, team_id]})
    referral.team_id = team_id
    notifications.referral_to_decide(referral, by=by)


def take_on(referral: Referral, user: User) -> dict:
    """An officer deciding a referral from the shared inbox takes it to their team, as an
    officer taking on a lead owns it; returns the change for the decision's audit entry."""
    if user.role != "officer" or referral.team_id is not None or user.team_id is None:
        return {}
    referral.team_id = user.team_id
    return {"team": [None, user.team_id]}
