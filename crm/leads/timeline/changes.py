"""The audit trail of a lead and its contacts told as sentences: created, edited, assigned,
credited, merged, exported, anonymised; a stage move is told by the stage history instead."""

from flask_babel import gettext

from core.models import AuditEntry, StageChange
from crm.leads.timeline.entry import Entry
from crm.leads.timeline.values import (
    change_lines,
    firm_name,
    import_name,
    lead_name,
    shown,
    user_name,
)


def _created(entry: AuditEntry, who: str, first: StageChange | None) -> tuple[str, str]:
    """The sentence of a lead's creation (with its first stage when known), and its kind."""
    changes = entry.changes or {}
    stage = shown("stage", first.to_stage) if first else ""
    if "import" in changes:
        job = import_name(changes["import"][1])
        if stage:
            return gettext("Created by %(job)s in stage %(stage)s", job=job, stage=stage), "stage"
        return gettext("Created by %(job)s", job=job), "stage"
    if "referrer" in changes:
        firm = firm_name(changes["referrer"][1])
        sentence = gettext(
            "%(who)s created the lead from a referral by %(firm)s", who=who, firm=firm
        )
        return sentence, "stage"
    if stage:
        return gettext("%(who)s created the lead in stage %(stage)s", who=who, stage=stage), "stage"
    return gettext("%(who)s created the lead", who=who), "stage"


def _assigned(changes: dict, who: str) -> str:
    if "owner_id" in changes:
        return gettext(
            "%(who)s assigned the lead to %(owner)s",
            who=who,
            owner=user_name(changes["owner_id"][1]),
        )
    leader = changes.get("liaison_id", [None, None])[1]
    if leader is None:
        return gettext("%(who)s removed the liaison leader", who=who)
    return gettext("%(who)s named %(leader)s liaison leader", who=who, leader=user_name(leader))


def _lead_sentence(entry: AuditEntry, who: str) -> str:
    """What a person did to the lead, in one sentence (the fields follow as lines)."""
    changes, action = entry.changes or {}, entry.action
    if action == "assign":
        return _assigned(changes, who)
    if action == "update" and "import_undone" in changes:
        return gettext(
            "%(who)s undid %(job)s on this lead",
            who=who,
            job=import_name(changes["import_undone"][1]),
        )
    if action == "update" and list(changes) == ["duplicate_dismissed"]:
        return gettext(
            "%(who)s marked the lead as not a duplicate of %(other)s",
            who=who,
            other=lead_name(changes["duplicate_dismissed"][1]),
        )
    if action == "update":
        return gettext("%(who)s edited the lead", who=who)
    if action == "merge" and "import" in changes:
        return gettext(
            "A row of %(job)s was added to this lead", job=import_name(changes["import"][1])
        )
    if action == "merge":
        return gettext(
            "%(who)s merged %(other)s into this lead",
            who=who,
            other=lead_name(changes.get("merged_lead", [None, None])[1]),
        )
    if action == "credit":
        return gettext(
            "%(who)s credited the lead to the referral by %(firm)s",
            who=who,
            firm=firm_name(changes.get("referrer", [None, None])[1]),
        )
    if action == "export":
        fmt = str((changes.get("format") or [None, ""])[1] or "").upper()
        return gettext("%(who)s exported the personal data (%(format)s)", who=who, format=fmt)
    if action == "anonymise":
        return gettext("%(who)s anonymised the personal data", who=who)
    if action == "move":
        return gettext(
            "%(who)s moved the lead from %(old)s to %(new)s",
            who=who,
            old=shown("stage", changes["stage"][0]),
            new=shown("stage", changes["stage"][1]),
        )
    return gettext("%(who)s changed the lead", who=who)


def _contact_sentence(entry: AuditEntry, who: str, contact_name: str) -> str:
    if entry.action == "create":
        return gettext("%(who)s added the contact %(name)s", who=who, name=contact_name)
    return gettext("%(who)s edited the contact %(name)s", who=who, name=contact_name)


def told(
    entry: AuditEntry,
    who: str,
    *,
    lead_id: int,
    first: StageChange | None = None,
    contact_name: str = "",
) -> Entry:
    """One audit entry of the lead, a merged lead or a contact as a timeline entry."""
    kind = "change"
    if entry.entity_type == "Contact":
        sentence = _contact_sentence(entry, who, contact_name or gettext("a former contact"))
    elif entry.action == "create":
        sentence, kind = _created(entry, who, first)
    else:
        sentence = _lead_sentence(entry, who)
        if entry.action == "move":
            kind = "stage"
    # What the sentence already says is not repeated below it.
    said = {
        "assign": ("owner_id", "liaison_id"),
        "credit": ("referrer",),
        "export": ("contact",),  # a privacy export of one contact: its id, not an added contact
    }.get(entry.action, ())
    lines = change_lines({k: v for k, v in (entry.changes or {}).items() if k not in said})
    if entry.entity_type == "Lead" and entry.entity_id != lead_id:
        lines.append(
            gettext("Recorded on %(lead)s before it was merged into this lead.",
                    lead=lead_name(entry.entity_id))
        )  # fmt: skip
    if first is not None and first.note:
        lines.append(first.note)
    job = (entry.changes or {}).get("import") if entry.action == "merge" else None
    return Entry(
        at=first.at if first else entry.at,
        kind=kind,
        sentence=sentence,
        lines=lines,
        touch_job=job[1] if job else None,
        order=1 if first else 4,
    )
