"""Invitations, updates, cancellations and reminders of appointments, through the outbox: one mail
per person in their own language, with the iCalendar invitation as its text/calendar part."""

from flask import render_template
from flask_babel import force_locale, gettext

from core import outbox
from core.appointments import clock, ics
from core.code_names import shown_name
from core.models import Appointment, Attendee, User
from core.urls import staff_lead_url


def _subject(purpose: str, appointment: Appointment, when: str) -> str:
    title = appointment.title
    if purpose == "invite":
        return gettext("Invitation: %(title)s, %(when)s", title=title, when=when)
    if purpose == "update":
        return gettext("Changed: %(title)s, %(when)s", title=title, when=when)
    if purpose == "cancel":
        return gettext("Cancelled: %(title)s, %(when)s", title=title, when=when)
    return gettext("Tomorrow: %(title)s, %(when)s", title=title, when=when)


def _company(appointment: Appointment, user: User | None) -> str:
    """Staff read the lead as they see it in the CRM (a code name if confidential to them); the
    investor reads the park's name, since the company is theirs."""
    if user is None:
        return gettext("Qingyuan Industrial Port")
    return shown_name(appointment.lead, user)


def _mail(appointment: Appointment, purpose: str, *, to: str, language: str, user: User | None):
    with force_locale(language):
        company = _company(appointment, user)
        when = clock.side_by_side(appointment, language)
        body = render_template(
            "mail/appointment.txt",
            purpose=purpose,
            appointment=appointment,
            kind=ics.kind_word(appointment.kind),
            title=appointment.title,
            company=company,
            when=when,
            attendees=[a.name for a in appointment.attendees],
            lead_url=staff_lead_url(appointment.lead_id) if user is not None else None,
        )
        subject = _subject(purpose, appointment, when)
        calendar = ics.invitation(appointment, company, language) if purpose != "remind" else None
    organiser = appointment.organiser
    email = outbox.queue(
        kind=f"appointment_{purpose}",
        to=to,
        language=language,
        subject=subject,
        body=body,
        lead_id=appointment.lead_id,
        # Mail to the investor is the organiser's: a person chose to send it, and the answer
        # comes back to the lead; staff get it from the no-reply sender, as automatic mail.
        automatic=user is not None,
        answerable_by_lead=user is None,
        officer_name=organiser.name if organiser else None,
    )
    email.calendar = calendar
    return email


def send(appointment: Appointment, purpose: str, attendees: list[Attendee] | None = None) -> list:
    """Queue the mail of `purpose` (invite, update, cancel) to these attendees (default: all)."""
    mails = []
    for attendee in appointment.attendees if attendees is None else attendees:
        if attendee.user is not None and not attendee.user.active:
            continue
        if attendee.contact is not None and attendee.contact.email_bounced_at is not None:
            continue
        if attendee.email:
            mails.append(
                _mail(
                    appointment,
                    purpose,
                    to=attendee.email,
                    language=attendee.language,
                    user=attendee.user,
                )  # fmt: skip
            )
    return mails


def cancel_for(appointment: Appointment, removed: list[Attendee]) -> list:
    """Attendees taken off a changed appointment get its cancellation (same UID, new SEQUENCE)."""
    status = appointment.status
    appointment.status = "cancelled"
    try:
        return send(appointment, "cancel", removed)
    finally:
        appointment.status = status


def remind(appointment: Appointment, users: list[User]) -> list:
    return [
        _mail(appointment, "remind", to=u.email, language=u.language, user=u)
        for u in users
        if u.active and u.email
    ]
