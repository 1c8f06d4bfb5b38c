"""The CRM's side of the rules of core/permissions.py: each view's declared permission (or that it
is public), which the gate reads, and loading one lead or referral the user may act on (others'
are 404)."""

from collections.abc import Callable

from flask import Blueprint, abort
from sqlalchemy import select

from core.models import Lead, Referral
from core.models.base import MAX_ID

# The rules themselves are core's (the import engine applies them too); the views take them
# from here, beside @require.
from core.permissions import RULES, allowed, can, visible_leads, visible_referrals

__all__ = [
    "MAX_ID",
    "RULES",
    "allowed",
    "can",
    "declared_permission",
    "get_lead_or_404",
    "get_referral_or_404",
    "is_public",
    "public",
    "require",
    "visible_leads",
    "visible_referrals",
]


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


def get_lead_or_404(lead_id: int, permission: str = "lead.view", *options) -> Lead:
    """Load a lead the user may act on; others' leads are 404, as if they did not exist."""
    from core.extensions import db

    if not 0 < lead_id <= MAX_ID:  # beyond the integer column: no such lead, not a DB error
        abort(404)
    lead = db.session.scalar(
        select(Lead).where(Lead.id == lead_id, Lead.merged_into_id.is_(None)).options(*options)
    )
    if lead is None or not can("lead.view", lead):
        abort(404)
    if not can(permission, lead):
        abort(403)
    return lead


def get_referral_or_404(referral_id: int, *options) -> Referral:
    """Load a referral the user may see; others' are 404, as if they did not exist."""
    from core.extensions import db

    if not 0 < referral_id <= MAX_ID:  # beyond the integer column: no such referral
        abort(404)
    referral = db.session.scalar(
        select(Referral).where(Referral.id == referral_id, visible_referrals()).options(*options)
    )
    if referral is None:
        abort(404)
    return referral
