"""Who may do what: the rules table per role, and the scope of leads and referrals per user.

The CRM's gate and views (crm/permissions.py) and the import engine (core/imports) apply these.
"""

from flask_login import current_user
from sqlalchemy import and_, false, or_, select, true

from core.models import Lead, Referral, User

# The rules table (docs/ROLES.md says the same in words). Object scope is applied on top:
# officers see their team's leads and change only those they own; leaders see only the
# leads they are liaison for and change nothing. Referrals: see visible_referrals().
RULES: dict[str, frozenset[str]] = {
    "crm.use": frozenset({"admin", "manager", "officer", "leader"}),
    "lead.view": frozenset({"admin", "manager", "officer", "leader"}),
    "lead.create": frozenset({"admin", "manager", "officer"}),
    "lead.edit": frozenset({"admin", "manager", "officer"}),
    "lead.move": frozenset({"admin", "manager", "officer"}),
    "lead.assign": frozenset({"admin", "manager"}),
    "lead.follow_up": frozenset({"admin", "manager"}),
    "lead.merge": frozenset({"admin", "manager"}),
    "lead.export": frozenset({"admin", "manager"}),
    "lead.privacy": frozenset({"admin", "manager"}),
    "lead.audit": frozenset({"admin", "manager", "officer"}),
    # Marking a lead confidential, and seeing every confidential lead's company by name.
    "lead.confidential": frozenset({"admin", "manager"}),
    "activity.create": frozenset({"admin", "manager", "officer"}),
    "mail.triage": frozenset({"admin", "manager", "officer"}),
    "report.view": frozenset({"admin", "manager", "leader"}),
    "event.view": frozenset({"admin", "manager", "officer", "leader"}),
    "event.edit": frozenset({"admin", "manager"}),
    "event.results": frozenset({"admin", "manager", "leader"}),
    "lead.capture": frozenset({"admin", "manager", "officer"}),
    "lead.import": frozenset({"admin", "manager", "officer"}),
    "enterprise.view": frozenset({"admin", "manager", "officer"}),
    "enterprise.edit": frozenset({"admin", "manager"}),
    "enterprise.invite": frozenset({"admin", "manager", "officer"}),
    "referral.view": frozenset({"admin", "manager", "officer"}),
    "referral.decide": frozenset({"admin", "manager", "officer"}),
    "referral.override": frozenset({"admin", "manager"}),
    "referral.route": frozenset({"admin", "manager"}),
    "referral.leaderboard": frozenset({"admin", "manager", "leader"}),
    "project.view": frozenset({"admin", "manager", "officer", "leader"}),
    "project.edit": frozenset({"admin", "manager"}),
    "plot.reserve": frozenset({"admin", "manager"}),
    "approval.edit": frozenset({"admin", "manager", "officer"}),
    "project.file": frozenset({"admin", "manager", "officer"}),
    "admin.users": frozenset({"admin"}),
    "admin.settings": frozenset({"admin"}),
    "admin.jobs": frozenset({"admin"}),
}
# Actions that change a lead: officers may do them only on leads they own.
OWNER_ONLY = {"lead.edit", "lead.move"}


def allowed(permission: str, user: User | None = None) -> bool:
    user = user or current_user
    return bool(user and user.is_authenticated and user.role in RULES[permission])


def visible_leads(user: User | None = None):
    """A WHERE clause limiting leads to those the user may see."""
    user = user or current_user
    if user.role in ("admin", "manager"):
        return true()
    if user.role == "officer":
        if user.team_id is None:
            return Lead.owner_id == user.id
        return or_(Lead.team_id == user.team_id, Lead.owner_id == user.id)
    if user.role == "leader":
        return Lead.liaison_id == user.id
    return false()


def can(permission: str, lead: Lead | None = None, user: User | None = None) -> bool:
    """The role may do this, and (for a lead) the lead is within the user's scope."""
    user = user or current_user
    if not allowed(permission, user):
        return False
    if lead is None:
        return True
    if user.role in ("admin", "manager"):
        return True
    if user.role == "leader":
        return permission == "lead.view" and lead.liaison_id == user.id
    in_team = lead.owner_id == user.id or (
        user.team_id is not None and lead.team_id == user.team_id
    )
    if permission in OWNER_ONLY:
        return lead.owner_id == user.id
    return in_team


def visible_referrals(user: User | None = None):
    """A WHERE clause limiting referrals to those the user may see.

    A referral that became part of a lead is seen with that lead; until then, officers see the
    ones routed to their team, those they decided, and the undecided ones routed to no team yet
    (the shared inbox, core/referral_routing.py)."""
    user = user or current_user
    if user.role in ("admin", "manager"):
        return true()
    if user.role != "officer":
        return false()
    unrouted = and_(Referral.decision == "submitted", Referral.team_id.is_(None))
    theirs = [unrouted, Referral.decided_by_id == user.id]
    if user.team_id is not None:
        theirs.append(Referral.team_id == user.team_id)
    return or_(
        Referral.lead_id.in_(select(Lead.id).where(visible_leads(user))),
        and_(Referral.lead_id.is_(None), or_(*theirs)),
    )
