"""Code names: what a lead's code name is, and who sees leads by it instead of the company."""

from flask_babel import gettext

from core.models import Lead

# Code names hide the company from those who do not need it: a word and the lead's number.
CODE_WORDS = (
    "Ginkgo", "Bamboo", "Magnolia", "Camellia", "Crane", "Lotus", "Cypress", "Azalea",
    "Peony", "Osmanthus", "Plum", "Pine", "Willow", "Orchid", "Jade", "Amber", "Pearl",
    "Cedar", "Maple", "Falcon", "Heron", "Lynx", "Otter", "Tern", "Ibis", "Kestrel",
    "Egret", "Juniper", "Laurel", "Hazel", "Aspen", "Birch",
)  # fmt: skip
# County leaders act on leads (board, lists, reports) without needing to know the company.
CODE_NAME_ROLES = frozenset({"leader"})


def code_name_for(lead_id: int) -> str:
    return f"{CODE_WORDS[lead_id % len(CODE_WORDS)]}-{lead_id:05d}"


def assign_code_name(lead: Lead) -> None:
    if lead.code_name is None:
        lead.code_name = code_name_for(lead.id)


def code_name(lead: Lead) -> str:
    """The lead's code name, or its number while it has none."""
    return lead.code_name or gettext("Lead %(id)s", id=lead.id)


def shows_code_names(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.role in CODE_NAME_ROLES)


def shown_name(lead: Lead, user) -> str:
    """What the user sees a lead as: its code name or its company."""
    return code_name(lead) if shows_code_names(user) else lead.company_name
