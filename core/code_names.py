"""Code names: what a lead's code name is, and who sees a lead by it instead of the company.

A lead is seen by its company's name unless a manager marked it confidential; then only
managers and admins, its owner and its liaison leader (the lead's or its project's) see the name,
everyone else the code name, in lists, reports and exports alike.
"""

from flask_babel import gettext
from sqlalchemy import false, or_, select

from core.extensions import db
from core.i18n import current_language
from core.models import Lead, Project
from core.permissions import allowed

# Code names hide the company from those who do not need it: a word and the lead's number.
CODE_WORDS = (
    "Ginkgo", "Bamboo", "Magnolia", "Camellia", "Crane", "Lotus", "Cypress", "Azalea",
    "Peony", "Osmanthus", "Plum", "Pine", "Willow", "Orchid", "Jade", "Amber", "Pearl",
    "Cedar", "Maple", "Falcon", "Heron", "Lynx", "Otter", "Tern", "Ibis", "Kestrel",
    "Egret", "Juniper", "Laurel", "Hazel", "Aspen", "Birch",
)  # fmt: skip


# The same words in Chinese, in the same order: Chinese staff read 水獭-00054 where English
# staff read Otter-00054 (one lead, one number, a word that means something to each reader).
CODE_WORDS_ZH = (
    "银杏", "翠竹", "玉兰", "山茶", "仙鹤", "莲花", "翠柏", "杜鹃",
    "牡丹", "丹桂", "腊梅", "青松", "垂柳", "幽兰", "美玉", "琥珀", "珍珠",
    "雪松", "红枫", "猎隼", "苍鹭", "猞猁", "水獭", "燕鸥", "朱鹮", "红隼",
    "白鹭", "杜松", "月桂", "榛树", "白杨", "白桦",
)  # fmt: skip
assert len(CODE_WORDS_ZH) == len(CODE_WORDS) == len(set(CODE_WORDS_ZH))
WORDS = {"en": CODE_WORDS, "zh": CODE_WORDS_ZH}


def code_name_for(lead_id: int, lang: str = "en") -> str:
    """The code name of a lead's number in a language (stored in English, said in the reader's)."""
    words = WORDS.get(lang, CODE_WORDS)
    return f"{words[lead_id % len(words)]}-{lead_id:05d}"


def lead_id_of_code(text: str) -> int | None:
    """The lead a code name typed in any language stands for (Otter-00054 or 水獭-00054)."""
    word, _, number = (text or "").strip().rpartition("-")
    if not (number.isascii() and number.isdigit()) or len(number) > 12:
        return None
    lead_id = int(number)
    known = {code_name_for(lead_id, lang).lower() for lang in WORDS}
    return lead_id if f"{word}-{number}".lower() in known else None


def assign_code_name(lead: Lead) -> None:
    if lead.code_name is None:
        lead.code_name = code_name_for(lead.id)


def code_name(lead, lang: str | None = None) -> str:
    """The lead's code name in the reader's language (a lead or a row with id and code_name), or
    its number while it has none; a code name not made of the word list stays as it is."""
    if not lead.code_name:
        return gettext("Lead %(id)s", id=lead.id)
    if lead.code_name != code_name_for(lead.id):
        return lead.code_name
    return code_name_for(lead.id, lang or current_language())


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
