"""The daily digest: one email per officer listing their overdue items (`flask send-digests`,
a periodic job of core/periodic.py's table)."""

from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale, ngettext
from sqlalchemy import select

from core import outbox, periodic
from core.audit import record
from core.extensions import db
from core.i18n import LANGUAGES
from core.models import AuditEntry, User
from core.models.base import utcnow
from core.urls import staff_base_url
from crm.activities import bp
from crm.activities.my_day import day_bounds, open_tasks_of, unanswered_leads_of
from crm.activities.records import lead_url, zone_of

# The audit action that marks a digest sent; it keeps a second run on one day from resending.
DIGEST_ACTION = "digest"


def overdue_items(officer: User, now) -> tuple[list, list]:
    """(overdue tasks with their leads, leads whose first-response deadline has passed)."""
    return open_tasks_of(officer, now), list(unanswered_leads_of(officer, due_before=now))


def _already_sent(officer: User, now) -> bool:
    start, _ = day_bounds(officer, now)
    return (
        db.session.scalar(
            select(AuditEntry.id).where(
                AuditEntry.action == DIGEST_ACTION,
                AuditEntry.entity_type == "User",
                AuditEntry.entity_id == officer.id,
                AuditEntry.at >= start,
            )
        )
        is not None
    )


def compose(officer: User, tasks, leads) -> tuple[str, str, str]:
    """(language, subject, body) in the officer's language and time zone."""
    lang = officer.language if officer.language in LANGUAGES else "zh"
    zone, base = zone_of(officer), staff_base_url()

    def when(moment) -> str:
        return format_datetime(moment, "short", tzinfo=zone, locale=lang)

    def link(lead) -> str:
        return lead_url(lead.id, external_base=base)

    with force_locale(lang):
        subject = ngettext(
            "Overdue in the CRM: %(num)s item",
            "Overdue in the CRM: %(num)s items",
            len(tasks) + len(leads),
        )
        # Straight from the Jinja environment: page context processors expect a request.
        body = current_app.jinja_env.get_template("crm/activities/mail/digest.txt").render(
            officer=officer,
            tasks=[(t, lead, when(t.due_at), link(lead)) for t, lead in tasks],
            leads=[(lead, when(lead.response_due_at), link(lead)) for lead in leads],
            my_day_url=f"{base}/crm/my-day",
        )
    return lang, subject, body


def send_digests(now=None) -> dict[str, int]:
    """Queue and send today's digests; skip officers with nothing overdue or served today."""
    now = now or utcnow()
    counts = {"queued": 0, "nothing_due": 0, "already_sent": 0, "sent": 0, "failed": 0}
    ids = []
    officers = db.session.scalars(
        select(User).where(User.role == "officer", User.active.is_(True)).order_by(User.id)
    ).all()
    for officer in officers:
        if _already_sent(officer, now):
            counts["already_sent"] += 1
            continue
        tasks, leads = overdue_items(officer, now)
        if not tasks and not leads:
            counts["nothing_due"] += 1
            continue
        lang, subject, body = compose(officer, tasks, leads)
        email = outbox.queue(
            kind="digest", to=officer.email, language=lang, subject=subject, body=body
        )
        db.session.flush()
        record(
            DIGEST_ACTION,
            officer,
            {
                "outbox_id": [None, email.id],
                "tasks": [None, len(tasks)],
                "leads": [None, len(leads)],
            },
            actor="system",
        )
        db.session.commit()
        ids.append(email.id)
        counts["queued"] += 1
    if ids:
        counts["sent"], counts["failed"] = outbox.send_due(limit=len(ids), ids=ids)
    return counts


def run_digests() -> list[str]:
    """Email each officer their overdue tasks and first responses."""
    counts = send_digests()
    return [
        "digests: {queued} queued, {sent} sent, {failed} failed (retried by send-outbox), "
        "{nothing_due} with nothing overdue, {already_sent} already sent today".format(**counts)
    ]


DIGESTS = periodic.Job(
    "send-digests", run_digests, "0 8 * * *", "every working morning at 8:00", working_days=True
)
# Into the app's table of periodic jobs (and its `flask` commands) when the CRM is registered.
bp.record_once(lambda state: periodic.register(state.app, DIGESTS))
