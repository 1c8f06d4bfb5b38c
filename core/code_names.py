"""Code names: what a lead's code name is, and who sees a lead by it instead of the company.

A lead is seen by its company's name unless a manager marked it confidential; then only
managers and admins, its owner and its liaison leader (the lead's or its project's) see the name,
everyone else the code name, in lists, reports and exports alike.
"""

from flask_babel import gettext
from sqlalchemy import false, or_, select

from core.extensions import db
from core.models import Lead, Project
from core.permissions import allowed

# Code names hide the company from those who do not need it: a word and the lead's number.
CODE_WORDS = (
    "Ginkgo", "Bamboo", "Magnolia", "Camellia", "Crane", "Lotus", "Cypress", "Azalea",
    "Peony", "Osmanthus", "Plum", "Pine", "Willow", "Orchid", "Jade", "Amber", "Pearl",
    "Cedar", "Maple", "Falcon", "Heron", "Lynx", "Otter", "Tern", "Ibis", "Kestrel",
    "Egret", "Juniper", "Laurel", "Hazel", "Aspen", "Birch",
)  # fmt: skip


def code_name_for(lead_id: int) -> str:
    return f"{CODE_WORDS[lead_id % len(CODE_WORDS)]}-{lead_id:05d}"


def assign_code_name(lead: Lead) -> None:
    if lead.code_name is None:
        lead.code_name = code_name_for(lead.id)


def code_name(lead: Lead) -> str:
    """The lead's code name, or its number while it has none."""
    return lead.code_name or gettext("Lead %(id)s", id=lead.id)


def sees_every_name(user) -> bool:
    return allowed("lead.confidential", user)


def sees_name(lead: Lead, user) -> bool:
    """Whether the user sees this lead's company by name."""
    if not lead.confidential or sees_every_name(user):
        return True
    if user is None or not user.is_authenticated:
        return False
    if user.id in (lead.owner_id, lead.liaison_id):
        return True
    chair = db.session.scalar(select(Project.liaison_id).where(Project.lead_id == lead.id))
    return chair == user.id


def named_leads(user):
    """A WHERE clause: the leads the user sees by name (a name search must find no other), or
    None when that is every lead."""
    if sees_every_name(user):
        return None
    if user is None or not user.is_authenticated:
        return false()
    return or_(
        Lead.confidential.is_(False),
        Lead.owner_id == user.id,
        Lead.liaison_id == user.id,
        Lead.id.in_(select(Project.lead_id).where(Project.liaison_id == user.id)),
    )


def shown_name(lead: Lead, user) -> str:
    """What the user sees a lead as: its company or, if confidential to them, its code name."""
    return lead.company_name if sees_name(lead, user) else code_name(lead)
