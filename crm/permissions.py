"""Who may do what in the CRM: the rules table, per route, per object and per field."""

from collections.abc import Callable

from flask import Blueprint, abort
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
    "activity.create": frozenset({"admin", "manager", "officer"}),
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
}
# Actions that change a lead: officers may do them only on leads they own.
OWNER_ONLY = {"lead.edit", "lead.move"}


def allowed(permission: str, user: User | None = None) -> bool:
    user = user or current_user
    return bool(user and user.is_authenticated and user.role in RULES[permission])


def require(permission: str) -> Callable:
    """Declare a view's permission; the CRM gate checks it before the view runs."""
    if permission not in RULES:
        raise KeyError(permission)

    def decorator(view):
        view.required_permission = permission
        return view

    return decorator


def public(view: Callable) -> Callable:
    """Declare a view reachable without signing in (sign-in, password reset, language)."""
    view.public = True
    return view


def is_public(view: Callable) -> bool:
    """Declared @public, or a blueprint's static files (the sign-in page needs its stylesheet)."""
    return getattr(view, "public", False) or getattr(view, "__func__", None) is (
        Blueprint.send_static_file
    )


def declared_permission(view: Callable) -> str | None:
    """The permission @require declared on a view; None for a view that declared none."""
    return getattr(view, "required_permission", None)


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


def get_lead_or_404(lead_id: int, permission: str = "lead.view", *options) -> Lead:
    """Load a lead the user may act on; others' leads are 404, as if they did not exist."""
    from core.extensions import db

    lead = db.session.scalar(
        select(Lead).where(Lead.id == lead_id, Lead.merged_into_id.is_(None)).options(*options)
    )
    if lead is None or not can("lead.view", lead):
        abort(404)
    if not can(permission, lead):
        abort(403)
    return lead


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


def get_referral_or_404(referral_id: int, *options) -> Referral:
    """Load a referral the user may see; others' are 404, as if they did not exist."""
    from core.extensions import db

    referral = db.session.scalar(
        select(Referral).where(Referral.id == referral_id, visible_referrals()).options(*options)
    )
    if referral is None:
        abort(404)
    return referral
