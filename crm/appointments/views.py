"""Scheduling a visit or meeting on a lead, its page, moving or changing it, cancelling it and
logging its outcome; each change mails the attendees through the outbox."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core import appointments
from core.appointments import clock, invitations
from core.extensions import db
from core.models import Appointment
from core.models.base import utcnow
from core.refusals import Refused
from core.unit_of_work import saved
from crm.activities.records import lead_url
from crm.appointments import bp
from crm.appointments.forms import (
    KIND_LABELS,
    STATUS_LABELS,
    ZONES,
    AppointmentForm,
    CancelForm,
    OutcomeForm,
)
from crm.permissions import can, get_lead_or_404, require

bp.add_app_template_global(clock.side_by_side, "appointment_time")
bp.add_app_template_global(clock.day_heading, "appointment_day")
bp.add_app_template_global(KIND_LABELS, "appointment_kinds")
bp.add_app_template_global(STATUS_LABELS, "appointment_statuses")


@bp.app_template_global()
def appointment_panel(lead) -> dict:
    """What the lead file's panel of visits and meetings needs, from the lead alone."""
    return {
        "items": appointments.of_lead(lead)[:10],
        "may_schedule": can("activity.create", lead),
    }


def _choices(form: AppointmentForm, lead) -> None:
    staff = appointments.invitable_staff(lead)
    form.staff.choices = [SelectChoice(u.id, u.name) for u in staff]
    contacts = appointments.invitable_contacts(lead)
    form.contacts.choices = [SelectChoice(c.id, f"{c.name} <{c.email}>") for c in contacts]
    zone = appointments.zone_for_lead(lead)
    if zone not in ZONES:
        form.timezone.choices = [*form.timezone.choices, SelectChoice(zone, zone)]


def _fields(form: AppointmentForm) -> dict:
    zone = form.timezone.data
    local = datetime.combine(form.day.data, form.start.data, tzinfo=ZoneInfo(zone))
    return {
        "kind": form.kind.data,
        "title": form.title.data.strip(),
        "starts_at": local.astimezone(ZoneInfo("UTC")),
        "minutes": form.minutes.data,
        "timezone": zone,
        "place": (form.place.data or "").strip(),
        "agenda": (form.agenda.data or "").strip(),
    }


def _refusal_on(form: AppointmentForm, refusal: Refused) -> None:
    field = {"starts_at": form.day, "minutes": form.minutes}.get(refusal.field)
    (field.errors if field is not None else form.form_errors).append(refusal.message)


def _version_matches(appointment: Appointment, form) -> bool:
    try:
        return int(form.version_id.data or "") == appointment.version_id
    except ValueError:
        return False


def _stale() -> str:
    return gettext("This visit or meeting was changed by someone else. Please check it again.")


@bp.route("/leads/<id:lead_id>/appointments/new", methods=["GET", "POST"])
@require("activity.create")
def appointment_new(lead_id: int):
    lead = get_lead_or_404(lead_id, "activity.create")
    form = AppointmentForm()
    _choices(form, lead)
    if request.method == "GET":
        form.kind.data = (
            request.args.get("kind") if request.args.get("kind") in KIND_LABELS else "site_visit"
        )
        form.timezone.data = appointments.zone_for_lead(lead)
        form.staff.data = [u for u in (lead.owner_id, lead.liaison_id, current_user.id)
                           if u in {c.value for c in form.staff.choices}]  # fmt: skip
        form.contacts.data = [c.value for c in form.contacts.choices][:1]
    elif form.validate():
        try:
            appointment = appointments.schedule(
                lead, current_user, user_ids=form.staff.data, contact_ids=form.contacts.data,
                **_fields(form),
            )  # fmt: skip
        except Refused as refusal:
            _refusal_on(form, refusal)
        else:
            invitations.send(appointment, "invite")
            if not saved():
                flash(
                    gettext("This lead was changed by someone else just now. Please try again."),
                    "error",
                )
                return redirect(lead_url(lead.id))
            flash(gettext("Scheduled; the invitations are on their way."), "success")
            return redirect(url_for("crm.appointments.appointment", appointment_id=appointment.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "crm/appointments/form.html", form=form, lead=lead, appointment=None
    ), status


def _appointment_for(appointment_id: int, permission: str):
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        abort(404)
    # A lead merged into another lives on as that one (its visits stay on their first lead).
    lead = get_lead_or_404(appointment.lead.merged_into_id or appointment.lead_id, permission)
    return appointment, lead


@bp.route("/appointments/<id:appointment_id>")
@require("crm.use")
def appointment(appointment_id: int):
    appointment, lead = _appointment_for(appointment_id, "lead.view")
    may_change = can("activity.create", lead)
    cancel_form, outcome_form = CancelForm(), OutcomeForm()
    cancel_form.version_id.data = outcome_form.version_id.data = appointment.version_id
    outcome_form.outcome.data = appointment.outcome
    return render_template(
        "crm/appointments/page.html", appointment=appointment, lead=lead, may_change=may_change,
        cancel_form=cancel_form, outcome_form=outcome_form,
        begun=appointment.starts_at <= utcnow() + appointments.SLACK,
    )  # fmt: skip


@bp.route("/appointments/<id:appointment_id>/edit", methods=["GET", "POST"])
@require("activity.create")
def appointment_edit(appointment_id: int):
    """Move it or change what it is, where, who comes: the attendees get the update."""
    appointment, lead = _appointment_for(appointment_id, "activity.create")
    if appointment.status != "scheduled":
        flash(gettext("Only a scheduled visit or meeting can be changed."), "error")
        return redirect(url_for("crm.appointments.appointment", appointment_id=appointment.id))
    form = AppointmentForm()
    _choices(form, lead)
    if request.method == "GET":
        zone = ZoneInfo(appointment.timezone)
        local = appointment.starts_at.astimezone(zone)
        form.process(
            data={
                "kind": appointment.kind, "title": appointment.title, "day": local.date(),
                "start": local.time().replace(second=0, microsecond=0),
                "timezone": appointment.timezone, "minutes": appointment.minutes,
                "place": appointment.place, "agenda": appointment.agenda,
                "staff": [a.user_id for a in appointment.attendees if a.user_id],
                "contacts": [a.contact_id for a in appointment.attendees if a.contact_id],
                "version_id": appointment.version_id,
            }
        )  # fmt: skip
        if appointment.timezone not in {c.value for c in form.timezone.choices}:
            form.timezone.choices = [*form.timezone.choices, SelectChoice(zone.key, zone.key)]
    elif form.validate():
        if not _version_matches(appointment, form):
            form.form_errors.append(_stale())
        else:
            try:
                changes, added, removed = appointments.change(
                    appointment, user_ids=form.staff.data, contact_ids=form.contacts.data,
                    **_fields(form),
                )  # fmt: skip
            except Refused as refusal:
                _refusal_on(form, refusal)
            else:
                if changes:
                    # Newcomers are invited; the others updated; those taken off get a CANCEL.
                    kept = [a for a in appointment.attendees if a not in added]
                    if set(changes) - {"attendees"}:
                        invitations.send(appointment, "update", kept)
                    invitations.send(appointment, "invite", added)
                    invitations.cancel_for(appointment, removed)
                if not saved():
                    flash(_stale(), "error")
                else:
                    message = (
                        gettext("Saved; the attendees are told of the change.")
                        if changes
                        else gettext("Nothing changed.")
                    )
                    flash(message, "success")
                return redirect(
                    url_for("crm.appointments.appointment", appointment_id=appointment.id)
                )
    status = 400 if request.method == "POST" else 200
    return render_template(
        "crm/appointments/form.html", form=form, lead=lead, appointment=appointment
    ), status


def _settle(appointment_id: int, form, act, done: str):
    """A change on a visit's page from its small form: checked, the version matched, the rules
    asked (act may refuse), saved; said in a flash either way, back on the visit's page."""
    appointment, _lead = _appointment_for(appointment_id, "activity.create")
    back = redirect(url_for("crm.appointments.appointment", appointment_id=appointment.id))
    if not form.validate():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return back
    if not _version_matches(appointment, form):
        flash(_stale(), "error")
        return back
    try:
        act(appointment)
    except Refused as refusal:
        flash(refusal.message, "error")
        return back
    if saved():
        flash(done, "success")
    else:
        flash(_stale(), "error")
    return back


@bp.route("/appointments/<id:appointment_id>/cancel", methods=["POST"])
@require("activity.create")
def appointment_cancel(appointment_id: int):
    form = CancelForm()

    def cancel(appointment):
        appointments.cancel(appointment, (form.reason.data or "").strip())
        invitations.send(appointment, "cancel")

    return _settle(appointment_id, form, cancel, gettext("Cancelled; the attendees are told."))


@bp.route("/appointments/<id:appointment_id>/outcome", methods=["POST"])
@require("activity.create")
def appointment_outcome(appointment_id: int):
    form = OutcomeForm()

    def log(appointment):
        appointments.log_outcome(appointment, form.outcome.data.strip())

    return _settle(appointment_id, form, log, gettext("Outcome logged."))
