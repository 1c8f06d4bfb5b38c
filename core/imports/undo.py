"""Undoing an import: the leads it created removed, what it merged taken back out."""

from datetime import timedelta

from flask_babel import gettext
from sqlalchemy import delete, func, or_, select, update

from core.aliases import forget_imported
from core.audit import record
from core.extensions import db
from core.imports.errors import ImportFileError
from core.leads import refresh_search_text
from core.models import (
    Activity,
    Contact,
    DuplicateCandidate,
    ImportJob,
    Inquiry,
    Lead,
    LeadTouch,
    StageChange,
    User,
    lead_plot,
)
from core.models.base import utcnow

CHUNK = 500
# The run's own writes carry times up to its commit; only later changes count as work.
GRACE = timedelta(seconds=2)


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def worked_leads(job: ImportJob) -> list[int]:
    """Leads of this import someone has worked since: an activity, a stage change, an edit."""
    since = (job.finished_at or utcnow()) + GRACE
    ids = sorted({*job.lead_ids, *(m.lead_id for m in job.merges)})
    worked: set[int] = set()
    for chunk in _chunks(ids):
        worked |= set(
            db.session.scalars(
                select(Lead.id).where(
                    Lead.id.in_(chunk),
                    or_(Lead.updated_at > since, Lead.merged_into_id.is_not(None)),
                )
            )
        )
        worked |= set(
            db.session.scalars(
                select(Activity.lead_id).where(
                    Activity.lead_id.in_(chunk), Activity.created_at > since
                )
            )
        )
        worked |= set(
            db.session.scalars(
                select(StageChange.lead_id).where(
                    StageChange.lead_id.in_(chunk), StageChange.at > since
                )
            )
        )
        # A lead merged into one of ours points at it: taking ours away would orphan it.
        worked |= set(
            db.session.scalars(select(Lead.merged_into_id).where(Lead.merged_into_id.in_(chunk)))
        )
    return sorted(worked)


def undo_summary(job: ImportJob) -> dict[str, int]:
    """What an undo would take away, for the confirmation: leads created, leads whose merge is
    reverted, contacts removed (of both), touches removed."""
    created = list(job.lead_ids or [])
    contacts = sum(len(m.contact_ids or []) for m in job.merges)
    for chunk in _chunks(created):
        contacts += db.session.scalar(
            select(func.count(Contact.id)).where(Contact.lead_id.in_(chunk))
        )
    touches = db.session.scalar(
        select(func.count(LeadTouch.id)).where(LeadTouch.import_job_id == job.id)
    )
    return {
        "leads": len(created),
        "merges": len({m.lead_id for m in job.merges}),
        "contacts": contacts,
        "touches": touches,
    }


def undo_job(job: ImportJob, user: User | None) -> None:
    """Undo and commit; ImportFileError with the reason if refused (worked since, not done)."""
    if job.status != "done" or job.dry_run:
        raise ImportFileError(gettext("Only a finished import that wrote leads can be undone."))
    worked = worked_leads(job)
    if worked:
        shown = ", ".join(str(i) for i in worked[:10])
        raise ImportFileError(
            gettext(
                "This import cannot be undone: %(count)d of its leads have been worked on "
                "since (activities, stage changes or edits), for example lead %(ids)s.",
                count=len(worked),
                ids=shown,
            )
        )
    created = list(job.lead_ids or [])
    for chunk in _chunks(created):
        for statement in (
            delete(DuplicateCandidate).where(
                or_(DuplicateCandidate.lead_id.in_(chunk), DuplicateCandidate.other_id.in_(chunk))
            ),
            delete(StageChange).where(StageChange.lead_id.in_(chunk)),
            delete(Inquiry).where(Inquiry.lead_id.in_(chunk)),
            delete(Contact).where(Contact.lead_id.in_(chunk)),
            delete(lead_plot).where(lead_plot.c.lead_id.in_(chunk)),
            delete(Lead).where(Lead.id.in_(chunk)),
        ):
            db.session.execute(statement, execution_options={"synchronize_session": False})
    actor = f"user:{user.id}" if user is not None else "system"
    db.session.execute(delete(LeadTouch).where(LeadTouch.import_job_id == job.id))
    forget_imported(job.id)
    _revert_merges(job, actor)
    job.status, job.undone_at = "undone", utcnow()
    job.undone_by_id = user.id if user is not None else None
    record("undo", job, {"status": ["done", "undone"], "leads_removed": [len(created), 0]}, actor)
    db.session.commit()
    db.session.expire_all()


def _revert_merges(job: ImportJob, actor: str) -> None:
    """Newest merge first, so a field two rows filled goes back to its value before both."""
    for merge in sorted(job.merges, key=lambda m: m.id, reverse=True):
        lead = db.session.get(Lead, merge.lead_id)
        if lead is None:
            continue
        if merge.inquiry_ids:
            db.session.execute(delete(Inquiry).where(Inquiry.id.in_(merge.inquiry_ids)))
        if merge.contact_ids:
            db.session.execute(
                update(Inquiry)
                .where(Inquiry.contact_id.in_(merge.contact_ids))
                .values(contact_id=None)
            )
            db.session.execute(delete(Contact).where(Contact.id.in_(merge.contact_ids)))
        changes = {name: [after, before] for name, (before, after) in merge.changes.items()}
        for name, (_after, before) in changes.items():
            setattr(lead, name, before)
        db.session.expire(lead, ["contacts", "aliases"])
        refresh_search_text(lead)
        changes["import_undone"] = [None, job.id]
        # An "update" listing what was taken back; the timeline titles it by import_undone.
        record("update", lead, changes, actor=actor)
    db.session.flush()
