"""Booth capture: the phone-sized form, its idempotent receiver, a CSRF token and the worker."""

import uuid
from pathlib import Path

from flask import (
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_translations, gettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.audit import record
from core.code_names import code_name
from core.extensions import db
from core.leads import FAIR_RESPONSE_HOURS, on_create, start_response_clock
from core.models import Activity, Contact, Event, Lead
from core.uploads import StorageUnavailable
from crm.capture import bp
from crm.capture.forms import CaptureForm, parse_captured_at
from crm.capture.photos import PhotoError, read_photo, store_photo
from crm.permissions import require


def _event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


def _events() -> list[Event]:
    """Every event staff may capture for, newest first (a contact may come from a past fair)."""
    return list(db.session.scalars(select(Event).order_by(Event.starts_on.desc(), Event.id)))


def _captured(key: str | None) -> Lead | None:
    if not key:
        return None
    return db.session.scalar(select(Lead).where(Lead.capture_key == key))


def _clean_key(text: str | None) -> str | None:
    try:
        return str(uuid.UUID(text or ""))
    except ValueError:
        return None


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _queue_texts() -> dict[str, str]:
    """Plural forms for the device's waiting count, unformatted: the script puts the number in."""
    translations = get_translations()
    return {
        form: translations.ngettext(
            "%(num)s entry waiting to be sent", "%(num)s entries waiting to be sent", num
        )
        for form, num in (("one", 1), ("other", 2))
    }


def _page(event: Event, form: CaptureForm, status: int = 200):
    return (
        render_template(
            "crm/capture/page.html",
            event=event,
            form=form,
            queue_texts=_queue_texts(),
            event_name=event.text("name", g.lang),
        ),
        status,
    )


def _answer(event: Event, lead: Lead, created: bool):
    if _wants_json():
        body = {"status": "created" if created else "exists", "lead_id": lead.id}
        return jsonify(body | {"capture_key": lead.capture_key}), 201 if created else 200
    if created:
        saved = gettext(
            "Saved: %(company)s (%(code)s).", company=lead.company_name, code=code_name(lead)
        )
        flash(saved, "success")
    else:
        known = gettext("This entry had already been received (%(code)s).", code=code_name(lead))
        flash(known, "info")
    return redirect(url_for("crm.capture.capture", event_id=event.id))


@bp.route("/capture/<id:event_id>", methods=["GET", "POST"])
@require("lead.capture")
def capture(event_id: int):
    event = _event_or_404(event_id)
    form = CaptureForm()
    form.fill_choices(_events(), g.lang)
    if request.method == "GET":
        form.event_id.data = event.id
        # A key per rendered form: sending it twice without JavaScript still makes one lead.
        form.capture_key.data = str(uuid.uuid4())
        return _page(event, form)
    # A replay of an entry already received gets the first lead, whatever this copy says.
    existing = _captured(_clean_key(request.form.get("capture_key")))
    if existing is not None:
        return _answer(event, existing, created=False)
    valid = form.validate_on_submit()
    reachable = form.check_reachable()
    photo = None
    try:
        photo = read_photo(request.files.get(form.card_photo.name))
    except PhotoError as problem:
        form.card_photo.errors = [*form.card_photo.errors, str(problem)]
    if not (valid and reachable) or form.card_photo.errors:
        if _wants_json():
            return jsonify({"status": "invalid", "errors": form.errors}), 422
        return _page(event, form, 422)
    return _create(event, form, photo)


def _create(event: Event, form: CaptureForm, photo):
    captured_at = parse_captured_at(form.captured_at.data)
    chosen = db.session.get(Event, form.event_id.data)
    # The event's assignment rule wins; otherwise the one who met the investor keeps the lead.
    owner = chosen.owner if chosen.owner is not None and chosen.owner.active else current_user
    values = form.lead_values()
    lead = Lead(
        source="event",
        stage="new",
        investment_currency="CNY",
        owner_id=owner.id,
        team_id=owner.team_id,
        captured_at=captured_at,
        captured_by_id=current_user.id,
        capture_key=form.capture_key.data,
        **values,
    )
    lead.contacts.append(Contact(**form.contact_values()))
    try:
        db.session.add(lead)
        on_create(lead, user=current_user, response_hours=FAIR_RESPONSE_HOURS)
        # The promise runs from meeting the investor, not from typing the card.
        start_response_clock(lead, hours=FAIR_RESPONSE_HOURS, now=captured_at)
        interest, notes = (form.interest.data or "").strip(), (form.notes.data or "").strip()
        if interest or notes:
            db.session.add(
                Activity(
                    lead_id=lead.id,
                    kind="note",
                    subject=interest or gettext("Notes from the booth"),
                    body=notes,
                    occurred_at=captured_at,
                    author_id=current_user.id,
                )
            )
        created = {k: [None, v] for k, v in values.items() if v not in (None, [])}
        created |= {"source": [None, "event"], "owner_id": [None, owner.id]}
        created["captured_at"] = [None, captured_at]
        if photo is not None:
            stored = store_photo(lead.id, *photo, user_id=current_user.id)
            db.session.add(stored)
            created["card_photo"] = [None, stored.filename]
        record("create", lead, created)
        db.session.flush()
    except StorageUnavailable as problem:
        db.session.rollback()
        return _unavailable(event, form, problem.message)
    except IntegrityError:
        # The same entry arrived twice at once: the other request made the lead; answer with it.
        db.session.rollback()  # which removes the photo written for this copy (core.uploads)
        existing = _captured(form.capture_key.data)
        if existing is None:
            raise
        return _answer(event, existing, created=False)
    return _answer(event, lead, created=True)


def _unavailable(event: Event, form: CaptureForm, message: str):
    """The photo could not be stored: nothing was saved, and the entry comes back whole (the
    device keeps it queued; without JavaScript the form is shown again as it was filled in)."""
    if _wants_json():
        return jsonify({"status": "unavailable", "message": message}), 503
    form.card_photo.errors = [*form.card_photo.errors, message]
    return _page(event, form, 503)


@bp.route("/capture/token")
@require("lead.capture")
def capture_token():
    """A fresh CSRF token for entries queued on a page opened hours ago."""
    return jsonify({"csrf_token": generate_csrf()})


@bp.route("/capture/sw.js")
@require("lead.capture")
def capture_worker():
    """The service worker, served from here so its scope covers the capture pages."""
    folder = Path(bp.static_folder) / "js"
    response = send_from_directory(folder, "capture-sw.js", mimetype="text/javascript", max_age=0)
    return response
