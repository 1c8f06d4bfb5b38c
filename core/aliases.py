"""The other names a lead's firm is known by: which names a merge keeps, and staff adding or
removing one (each change audited, the search text rewritten)."""

import re
from collections.abc import Iterable

from sqlalchemy import delete, insert, select

from core.audit import record
from core.extensions import db
from core.models import ALIAS_KINDS, Lead, LeadAlias
from core.search import fold, refresh

_CJK = re.compile(r"[\u3400-\u9fff]")
MAX_NAME = 200


def kind_of(name: str) -> str:
    return "chinese" if _CJK.search(name) else "latin"


def _clean(name: str | None) -> str:
    return " ".join((name or "").split())[:MAX_NAME]


def new_names(
    current: Iterable[str | None], known: Iterable[str], names: Iterable[str | None]
) -> list[str]:
    """Of `names`, those the firm is not already called (by its names or aliases), once each;
    two spellings that differ only in case or accents are one name."""
    seen = {fold(_clean(n)) for n in (*current, *known) if _clean(n)}
    kept = []
    for name in map(_clean, names):
        if name and fold(name) not in seen:
            seen.add(fold(name))
            kept.append(name)
    return kept


def keep_names(target: Lead, names: Iterable[str | None], kind: str | None = None) -> list[str]:
    """Keep as aliases of `target` the names it does not already carry (a merged lead's names,
    its own former name); rewrites its search text. Returns the names added."""
    added = new_names(
        (target.company_name, target.company_name_latin),
        (alias.name for alias in target.aliases),
        names,
    )
    for name in added:
        target.aliases.append(LeadAlias(name=name, kind=kind or kind_of(name)))
    if added:
        refresh(target)
    return added


def keep_imported_names(job_id: int, names_by_lead: dict[int, list[str]], leads: dict) -> None:
    """The import's merge, in bulk: the rows' names that differ from their lead's become aliases
    (tied to the job, so undo removes them). `leads` maps id to the import's dict of the lead
    (company_name, company_name_latin): each gets "aliases", all its names, and is marked dirty
    when one was added."""
    known: dict[int, list[str]] = {lead_id: [] for lead_id in leads}
    for start in range(0, len(ids := list(leads)), 500):
        for lead_id, name in db.session.execute(
            select(LeadAlias.lead_id, LeadAlias.name)
            .where(LeadAlias.lead_id.in_(ids[start : start + 500]))
            .order_by(LeadAlias.id)
        ):
            known[lead_id].append(name)
    rows = []
    for lead_id, lead in leads.items():
        current = (lead["company_name"], lead["company_name_latin"])
        fresh = new_names(current, known[lead_id], names_by_lead.get(lead_id, ()))
        lead["aliases"] = known[lead_id] + fresh
        if fresh:
            lead["dirty"] = True
            rows += [
                {"lead_id": lead_id, "name": n, "kind": kind_of(n), "import_job_id": job_id}
                for n in fresh
            ]
    if rows:
        db.session.execute(insert(LeadAlias), rows)


def forget_imported(job_id: int) -> list[int]:
    """Undoing an import removes the names it added; returns the leads that had some."""
    lead_ids = db.session.scalars(
        select(LeadAlias.lead_id).where(LeadAlias.import_job_id == job_id).distinct()
    ).all()
    db.session.execute(delete(LeadAlias).where(LeadAlias.import_job_id == job_id))
    return list(lead_ids)


def add_alias(lead: Lead, name: str, kind: str) -> LeadAlias | None:
    """Staff add a name; None when the firm already carries it."""
    if kind not in ALIAS_KINDS or not new_names(
        (lead.company_name, lead.company_name_latin), (a.name for a in lead.aliases), [name]
    ):
        return None
    alias = LeadAlias(name=_clean(name), kind=kind)
    lead.aliases.append(alias)
    refresh(lead)
    record("update", lead, {"alias_added": [None, alias.name]})
    return alias


def remove_alias(lead: Lead, alias: LeadAlias) -> None:
    lead.aliases.remove(alias)
    refresh(lead)
    record("update", lead, {"alias_removed": [alias.name, None]})
