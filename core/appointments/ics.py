"""Appointments as iCalendar (RFC 5545, RFC 5546): an invitation (METHOD:REQUEST), its
cancellation (METHOD:CANCEL) with the same UID and a higher SEQUENCE, and a staff member's feed."""

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale, gettext
from icalendar import Calendar, Event, vCalAddress, vText

from core.models import Appointment
from core.models.base import utcnow

PRODID = "-//Qingyuan Investment Bureau//CRM//EN"


def kind_label(kind: str) -> str:
    return gettext("Site visit") if kind == "site_visit" else gettext("Meeting")


def kind_word(kind: str) -> str:
    """The kind inside a sentence ("the site visit below")."""
    return gettext("site visit") if kind == "site_visit" else gettext("meeting")


def summary(appointment: Appointment, company: str) -> str:
    return gettext(
        "%(kind)s: %(title)s (%(company)s)",
        kind=kind_label(appointment.kind),
        title=appointment.title,
        company=company,
    )


def _address(email: str, name: str, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def event(appointment: Appointment, company: str, *, with_attendees: bool = True) -> Event:
    """The VEVENT: times in UTC (every client converts them; no VTIMEZONE to get wrong)."""
    item = Event()
    item.add("uid", appointment.uid)
    item.add("sequence", appointment.sequence)
    item.add("dtstamp", utcnow())
    item.add("dtstart", appointment.starts_at)
    item.add("dtend", appointment.ends_at)
    item.add("summary", summary(appointment, company))
    if appointment.place:
        item.add("location", appointment.place)
    if appointment.agenda:
        item.add("description", appointment.agenda)
    cancelled = appointment.status == "cancelled"
    item.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organiser = appointment.organiser
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    if organiser is not None:
        item.add("organizer", _address(organiser.email, organiser.name))
    else:
        item.add("organizer", _address(sender, gettext("Investment Bureau")))
    if with_attendees:
        for attendee in appointment.attendees:
            if attendee.email:
                item.add(
                    "attendee",
                    _address(
                        attendee.email, attendee.name, ROLE="REQ-PARTICIPANT",
                        PARTSTAT="NEEDS-ACTION", RSVP="TRUE",
                    ),
                )  # fmt: skip
    return item


def _calendar(method: str | None, name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def invitation(appointment: Appointment, company: str, language: str) -> str:
    """The invitation, its update or its cancellation, in one attendee's language."""
    method = "CANCEL" if appointment.status == "cancelled" else "REQUEST"
    with force_locale(language):
        calendar = _calendar(method)
        calendar.add_component(event(appointment, company))
    return calendar.to_ical().decode()


def feed(appointments_with_names, name: str) -> str:
    """A subscribed calendar (no METHOD: a feed publishes, it invites nobody)."""
    calendar = _calendar(None, name)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")  # Outlook reads this one
    for appointment, company in appointments_with_names:
        calendar.add_component(event(appointment, company, with_attendees=False))
    return calendar.to_ical().decode()
