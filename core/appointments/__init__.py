"""Site visits and meetings scheduled on a lead: schedule, move, cancel, log the outcome; who
attends, and whose calendar shows them. Invitations go out through invitations.py."""

import secrets
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core.audit import record
from core.extensions import db
from core.models import Appointment, Attendee, Contact, Lead, User
from core.models.base import utcnow
from core.permissions import can
from core.refusals import Refused

BEIJING = "Asia/Shanghai"
# A clock a few minutes slow on someone's computer still schedules "now"; and an outcome may be
# logged from the appointment's start on (a visit that began has happened).
SLACK = timedelta(minutes=5)
MINUTES_MIN, MINUTES_MAX = 15, 12 * 60
EDITABLE = ("kind", "title", "starts_at", "minutes", "timezone", "place", "agenda")
# Where an investor's clock most likely is, by the lead's country; anything else starts at Beijing.
COUNTRY_ZONES = {
    "CN": BEIJING, "DE": "Europe/Berlin", "FR": "Europe/Paris", "IT": "Europe/Rome",
    "AT": "Europe/Vienna", "CH": "Europe/Zurich", "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels", "ES": "Europe/Madrid", "GB": "Europe/London",
    "SE": "Europe/Stockholm", "DK": "Europe/Copenhagen", "PL": "Europe/Warsaw",
    "CZ": "Europe/Prague", "US": "America/New_York", "CA": "America/Toronto",
    "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "SG": "Asia/Singapore", "HK": "Asia/Hong_Kong",
    "TW": "Asia/Taipei", "AU": "Australia/Sydney", "AE": "Asia/Dubai", "IN": "Asia/Kolkata",
}  # fmt: skip


@cache
def _zones() -> frozenset[str]:
    # available_timezones() walks the zone files on every call (about 50 ms): once per process.
    return frozenset(available_timezones())


def valid_zone(name: str | None) -> bool:
    if not name or name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_for_lead(lead: Lead) -> str:
    return COUNTRY_ZONES.get((lead.country or "").upper(), BEIJING)


def invitable_staff(lead: Lead) -> list[User]:
    """Active staff who can see the lead (the liaison leader among them): who may attend."""
    users = db.session.scalars(
        select(User).where(User.active.is_(True)).order_by(User.name, User.id)
    ).all()
    return [u for u in users if can("lead.view", lead, user=u)]


def invitable_contacts(lead: Lead) -> list[Contact]:
    return [c for c in lead.contacts if c.email and c.email_bounced_at is None]


def _new_uid() -> str:
    return f"{secrets.token_hex(16)}@qingyuan-appointments"


def _check_time(starts_at: datetime, minutes: int) -> None:
    if starts_at <= utcnow() - SLACK:
        raise Refused(gettext("A visit or meeting is scheduled in the future."), field="starts_at")
    if not MINUTES_MIN <= minutes <= MINUTES_MAX:
        raise Refused(
            gettext("The length must be between 15 minutes and 12 hours."), field="minutes"
        )


def _set_attendees(appointment: Appointment, user_ids, contact_ids) -> tuple[list, list]:
    """Attendees become exactly these (None: nobody of that kind); returns (added, removed)
    Attendee rows."""
    wanted = {("u", i) for i in user_ids or ()} | {("c", i) for i in contact_ids or ()}
    current = {
        ("u" if a.user_id else "c", a.user_id or a.contact_id): a for a in appointment.attendees
    }
    removed = [a for key, a in current.items() if key not in wanted]
    for attendee in removed:
        _ = attendee.user, attendee.contact  # loaded now: their cancellation is mailed after
        appointment.attendees.remove(attendee)
    added = []
    for kind, ident in sorted(wanted - set(current)):
        attendee = Attendee(user_id=ident if kind == "u" else None,
                            contact_id=ident if kind == "c" else None)  # fmt: skip
        appointment.attendees.append(attendee)
        added.append(attendee)
    return added, removed


def _attendee_names(appointment: Appointment) -> list[str]:
    return sorted(
        (f"user:{a.user_id}" if a.user_id else f"contact:{a.contact_id}")
        for a in appointment.attendees
    )


def schedule(lead: Lead, organiser: User, *, user_ids, contact_ids, **fields) -> Appointment:
    """A new visit or meeting, its attendees, one audit entry; the caller sends invitations."""
    _check_time(fields["starts_at"], fields["minutes"])
    appointment = Appointment(lead_id=lead.id, organiser_id=organiser.id, uid=_new_uid(), **fields)
    appointment.lead = lead
    db.session.add(appointment)
    _set_attendees(appointment, user_ids, contact_ids)
    db.session.flush()
    for attendee in appointment.attendees:  # the relationships the invitations read
        db.session.refresh(attendee, ["user", "contact"])
    changes = {name: [None, getattr(appointment, name)] for name in EDITABLE}
    changes["attendees"] = [None, _attendee_names(appointment)]
    record("create", appointment, changes)
    return appointment


def change(appointment: Appointment, *, user_ids, contact_ids, **fields) -> tuple[dict, list, list]:
    """Move or edit a scheduled appointment: (changes, added, removed attendees). A change that
    reaches the calendars raises SEQUENCE, so invitations already accepted are updated in place."""
    if appointment.status != "scheduled":
        raise Refused(gettext("Only a scheduled visit or meeting can be changed."))
    if fields["starts_at"] != appointment.starts_at or fields["minutes"] != appointment.minutes:
        _check_time(fields["starts_at"], fields["minutes"])
    changes = {
        name: [getattr(appointment, name), value]
        for name, value in fields.items()
        if getattr(appointment, name) != value
    }
    before = _attendee_names(appointment)
    added, removed = _set_attendees(appointment, user_ids, contact_ids)
    db.session.flush()
    for attendee in added:
        db.session.refresh(attendee, ["user", "contact"])
    if added or removed:
        changes["attendees"] = [before, _attendee_names(appointment)]
    if not changes:
        return {}, [], []
    for name, (_, value) in changes.items():
        if name != "attendees":
            setattr(appointment, name, value)
    appointment.sequence += 1
    if "starts_at" in changes:
        appointment.reminded_at = None  # a moved visit is reminded of again the day before it
    record("update", appointment, changes)
    return changes, added, removed


def cancel(appointment: Appointment, reason: str = "") -> None:
    if appointment.status != "scheduled":
        raise Refused(gettext("Only a scheduled visit or meeting can be cancelled."))
    appointment.status = "cancelled"
    appointment.sequence += 1
    changes = {"status": ["scheduled", "cancelled"]}
    if reason:
        changes["reason"] = [None, reason]
    record("cancel", appointment, changes)


def log_outcome(appointment: Appointment, outcome: str) -> None:
    """It happened: the outcome on the same record, and the lead was in contact then."""
    if appointment.status == "cancelled":
        raise Refused(gettext("A cancelled visit or meeting has no outcome."))
    if appointment.starts_at > utcnow() + SLACK:
        raise Refused(gettext("Log the outcome once the visit or meeting has begun."))
    changes = {"outcome": [appointment.outcome or None, outcome]}
    if appointment.status != "held":
        changes["status"] = [appointment.status, "held"]
        appointment.status = "held"
    appointment.outcome = outcome
    lead = appointment.lead
    if lead.last_contact_at is None or appointment.starts_at > lead.last_contact_at:
        changes["lead.last_contact_at"] = [lead.last_contact_at, appointment.starts_at]
        lead.last_contact_at = appointment.starts_at
    if lead.first_response_at is None:
        changes["lead.first_response_at"] = [None, appointment.starts_at]
        lead.first_response_at = appointment.starts_at
    record("held", appointment, changes)


def involving(user: User):
    """A WHERE clause: appointments the user organises or attends, or on leads they own."""
    attending = select(Attendee.appointment_id).where(Attendee.user_id == user.id)
    owned = select(Lead.id).where(Lead.owner_id == user.id)
    return or_(
        Appointment.organiser_id == user.id,
        Appointment.id.in_(attending),
        Appointment.lead_id.in_(owned),
    )


def calendar_of(user: User, start: datetime, end: datetime, *, cancelled: bool = False):
    """The user's appointments starting in [start, end), on leads they may still see."""
    statuses = ("scheduled", "held", "cancelled") if cancelled else ("scheduled", "held")
    rows = db.session.scalars(
        select(Appointment)
        .join(Lead, Appointment.lead_id == Lead.id)
        .where(
            involving(user),
            Appointment.status.in_(statuses),
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            Lead.anonymised_at.is_(None),
        )
        .options(selectinload(Appointment.lead))
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()
    return [a for a in rows if can("lead.view", a.lead, user=user)]


def of_lead(lead: Lead) -> list[Appointment]:
    """The lead's visits and meetings, and those of leads merged into it, latest first."""
    merged = select(Lead.id).where(Lead.merged_into_id == lead.id)
    return db.session.scalars(
        select(Appointment)
        .where(or_(Appointment.lead_id == lead.id, Appointment.lead_id.in_(merged)))
        .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
    ).all()
