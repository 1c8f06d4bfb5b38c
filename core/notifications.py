"""Telling staff by e-mail what just became theirs: a lead assigned to them (one mail for many,
after a bulk assignment) and a liaison role given to a county leader. In each person's language,
through the outbox, never to the one who did it."""

from collections import defaultdict

from flask import render_template
from flask_babel import force_locale, gettext, ngettext

from core import outbox
from core.models import Lead, User
from core.urls import staff_base_url, staff_lead_url


def _told(person: User | None, by) -> bool:
    """Whether to tell the person: active, and not the one who did it (by: a user, or nobody
    signed in, as in a command)."""
    doer = getattr(by, "id", None) if getattr(by, "is_authenticated", False) else None
    return person is not None and person.active and doer != person.id


def lead_assigned(lead: Lead, owner: User, by: User | None) -> None:
    leads_assigned({owner: [lead]}, by)


def leads_assigned(by_owner: dict[User, list[Lead]], by: User | None) -> None:
    """One mail per new owner, naming up to twenty of their new leads."""
    for owner, leads in by_owner.items():
        if not _told(owner, by) or not leads:
            continue
        by = by if getattr(by, "is_authenticated", False) else None
        with force_locale(owner.language or "zh"):
            if len(leads) == 1:
                subject = gettext("A lead is yours now: %(company)s", company=leads[0].company_name)
            else:
                subject = ngettext(
                    "%(num)d lead is yours now", "%(num)d leads are yours now", len(leads)
                )
            body = render_template(
                "mail/leads_assigned.txt",
                leads=[(lead, staff_lead_url(lead.id)) for lead in leads[:20]],
                more=max(0, len(leads) - 20),
                by=by,
                list_url=f"{staff_base_url()}/crm/leads?owner={owner.id}",
            )
        outbox.queue(
            kind="lead_assigned",
            to=owner.email,
            language=owner.language or "zh",
            subject=subject,
            body=body,  # not on the lead's timeline (no lead_id): it is the bureau's own news
        )


def group_by_owner(pairs) -> dict[User, list[Lead]]:
    grouped: dict[User, list[Lead]] = defaultdict(list)
    for lead, owner in pairs:
        grouped[owner].append(lead)
    return grouped


def liaison_named(lead: Lead, leader: User, by: User | None) -> None:
    if not _told(leader, by):
        return
    by = by if getattr(by, "is_authenticated", False) else None
    with force_locale(leader.language or "zh"):
        subject = gettext("You are the liaison for %(company)s", company=lead.company_name)
        body = render_template(
            "mail/liaison_named.txt", lead=lead, by=by, url=staff_lead_url(lead.id)
        )
    outbox.queue(
        kind="liaison_named",
        to=leader.email,
        language=leader.language or "zh",
        subject=subject,
        body=body,
    )
