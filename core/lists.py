"""The bureau's lists (industries, reasons for lost leads): their label languages and the items
a new installation starts with."""

from sqlalchemy import select

from core.audit import record
from core.content import get_content
from core.extensions import db
from core.models import ListItem

LABEL_LANGUAGES = ("zh", "en", "de", "fr")

DEFAULT_LOST_REASONS = (
    ("other-location", "选择了其他地点", "Chose another location", "Anderen Standort gewählt",
     "A choisi un autre site"),
    ("project-cancelled", "项目取消", "Project cancelled", "Projekt abgesagt", "Projet annulé"),
    ("budget", "预算不足", "Budget", "Budget", "Budget"),
    ("no-response", "无回应", "No response", "Keine Antwort", "Pas de réponse"),
    ("land-or-power", "土地或电力条件不符", "Land or power not suitable",
     "Grundstück oder Strom ungeeignet", "Terrain ou électricité inadaptés"),
    ("duplicate", "重复线索", "Duplicate", "Duplikat", "Doublon"),
)  # fmt: skip


def seed_lists() -> int:
    """Add the default lost reasons and the industries of content site.yaml that are missing."""
    wanted = [
        ("lost_reason", code, dict(zip(LABEL_LANGUAGES, labels, strict=True)))
        for code, *labels in DEFAULT_LOST_REASONS
    ]
    wanted += [
        ("industry", item["code"], {lang: item["name"][lang] for lang in LABEL_LANGUAGES})
        for item in get_content().site.get("industries", [])
    ]
    existing = {(i.kind, i.code) for i in db.session.scalars(select(ListItem))}
    created = 0
    for position, (kind, code, labels) in enumerate(wanted):
        if (kind, code) in existing:
            continue
        item = ListItem(kind=kind, code=code, labels=labels, position=position)
        db.session.add(item)
        record("create", item, {"code": [None, code]}, actor="system")
        created += 1
    db.session.commit()
    return created
