"""Events in the CRM: the list, an event's page with its QR codes, and the event form."""

import json
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from core.audit import record
from core.choices import industry_name
from core.extensions import db
from core.i18n import LANGUAGES, PUBLIC_LANGUAGES
from core.models import Event, Lead, User
from core.unit_of_work import saved
from core.urls import external_url
from crm.conflicts import arm, refuse
from crm.events import bp
from crm.events.forms import EVENT_FIELDS, TRANSLATED, EventForm, slug_taken
from crm.permissions import MAX_ID, allowed, require

EVENT_CONFLICT = _l(
    "This event was changed by someone else while you were editing. Nothing was saved. "
    "Compare the values below; save again to keep yours."
)


def get_event_or_404(event_id: int, *options) -> Event:
    if not 0 < event_id <= MAX_ID:  # beyond the integer column: no such event, not a DB error
        abort(404)
    event = db.session.scalar(select(Event).where(Event.id == event_id).options(*options))
    if event is None:
        abort(404)
    return event


def lead_counts() -> dict[int, int]:
    """Leads attributed to each event, in one GROUP BY (merged-away leads not counted)."""
    rows = db.session.execute(
        select(Lead.event_id, func.count())
        .where(Lead.event_id.is_not(None), Lead.merged_into_id.is_(None))
        .group_by(Lead.event_id)
    )
    return dict(rows.all())


@bp.route("/events")
@require("event.view")
def events():
    today = date.today()
    every = db.session.scalars(select(Event).order_by(Event.starts_on, Event.id)).all()
    return render_template(
        "crm/events/list.html",
        upcoming=[e for e in every if e.ends_on >= today],
        past=sorted(
            (e for e in every if e.ends_on < today), key=lambda e: e.starts_on, reverse=True
        ),
        counts=lead_counts(),
        may_edit=allowed("event.edit"),
        may_results=allowed("event.results"),
    )


def _optional_link(endpoint: str, **values) -> str | None:
    # Booth capture and import are built as separate features: link only to what exists.
    if endpoint in current_app.view_functions:
        return url_for(endpoint, **values)
    return None


@bp.route("/events/<int:event_id>")
@require("event.view")
def event(event_id: int):
    event = get_event_or_404(event_id, selectinload(Event.staff))
    # Absolute, as printed and as the QR codes encode them (PUBLIC_BASE_URL when set).
    landing = {
        lang: external_url("site.event", lang=lang, slug=event.slug) for lang in PUBLIC_LANGUAGES
    }
    return render_template(
        "crm/events/detail.html",
        event=event,
        lead_count=lead_counts().get(event.id, 0),
        landing=landing,
        industry_name=industry_name,
        capture_url=_optional_link("crm.capture.capture", event_id=event.id)
        if allowed("lead.capture")
        else None,
        import_url=_optional_link("crm.imports.import_new", event_id=event.id)
        if allowed("lead.import")
        else None,
        may_edit=allowed("event.edit"),
        may_results=allowed("event.results"),
        public_languages=PUBLIC_LANGUAGES,
    )


def _shown(event: Event) -> dict[str, str]:
    """The event's values as plain text, to spot what someone else changed meanwhile."""
    shown = {}
    for name in EVENT_FIELDS:
        value = getattr(event, name)
        if name == "staff":
            value = sorted(u.id for u in value)
        if isinstance(value, dict | list):
            shown[name] = json.dumps(value, ensure_ascii=False, sort_keys=True)
        elif value is None:
            shown[name] = ""
        elif hasattr(value, "as_tuple"):
            shown[name] = f"{value:f}"
        else:
            shown[name] = str(value)
    return shown


def _fill(form: EventForm, event: Event) -> None:
    form.slug.data = event.slug
    for name, _label, _max in TRANSLATED:
        for lang in PUBLIC_LANGUAGES:
            getattr(form, f"{name}_{lang}").data = (getattr(event, name) or {}).get(lang, "")
    form.starts_on.data, form.ends_on.data = event.starts_on, event.ends_on
    form.target_industries.data = list(event.target_industries or [])
    form.staff.data = [u.id for u in event.staff]
    form.owner_id.data = str(event.owner_id) if event.owner_id else ""
    form.budget.data = f"{event.budget:f}" if event.budget is not None else ""
    form.notes.data = event.notes
    form.published.data = event.published


def _apply(event: Event, values: dict) -> dict:
    """Set the changed values on the event; return {field: [old, new]} for the audit trail."""
    changes = {}
    for name, new in values.items():
        old = getattr(event, name)
        if name == "staff":
            old = sorted(u.id for u in old)
            if old != new:
                event.staff = list(db.session.scalars(select(User).where(User.id.in_(new))))
                changes[name] = [old, new]
            continue
        if old != new:
            setattr(event, name, new)
            changes[name] = [old, new]
    return changes


def _labels(form: EventForm) -> dict[str, str]:
    labels = {f.name: str(f.label.text) for f in form}
    for name, label, _max in TRANSLATED:
        labels[name] = str(label)
    return labels


@bp.route("/events/new", methods=["GET", "POST"])
@require("event.edit")
def event_new():
    form = EventForm()
    form.fill_choices(None)
    if request.method == "GET":
        form.published.data = True
    if form.validate_on_submit():
        if slug_taken(form.slug.data, None):
            form.slug.errors.append(gettext("Another event already uses this slug."))
        else:
            event = Event(slug=form.slug.data)
            db.session.add(event)
            changes = _apply(event, form.values())
            changes["slug"] = [None, event.slug]
            record("create", event, changes)
            try:
                db.session.flush()
            except IntegrityError:  # someone took the slug in the same instant
                db.session.rollback()
                form.slug.errors.append(gettext("Another event already uses this slug."))
            else:
                flash(gettext("The event was created."), "success")
                return redirect(url_for("crm.events.event", event_id=event.id))
    return _render_form(form, None, status=422 if request.method == "POST" else 200)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@require("event.edit")
def event_edit(event_id: int):
    event = get_event_or_404(event_id, selectinload(Event.staff))
    form = EventForm()
    form.fill_choices(event)
    current = _shown(event)
    if request.method == "GET":
        _fill(form, event)
        arm(form, event.version_id, current)
        return _render_form(form, event)
    # The slug is in printed QR codes once published: it is shown but never changed here.
    form.slug.data = event.slug
    conflicts = []
    if form.validate_on_submit():
        values = form.values()
        if form.version.data == str(event.version_id):
            changes = _apply(event, values)
            if not changes:
                flash(gettext("Nothing changed."), "info")
                return redirect(url_for("crm.events.event", event_id=event.id))
            record("update", event, changes)
            if not saved():
                event = get_event_or_404(event_id, selectinload(Event.staff))
            else:
                flash(gettext("The event was saved."), "success")
                return redirect(url_for("crm.events.event", event_id=event.id))
            current = _shown(event)
        submitted = {
            k: json.dumps(v, ensure_ascii=False, sort_keys=True)
            if isinstance(v, dict | list)
            else ("" if v is None else (f"{v:f}" if hasattr(v, "as_tuple") else str(v)))
            for k, v in values.items()
        }
        conflicts = refuse(form, event.version_id, current, submitted)
        return _render_form(form, event, conflicts=conflicts, conflict=True, status=409)
    return _render_form(form, event, status=422)


def _render_form(form, event, conflicts=(), conflict=False, status=200):
    return (
        render_template(
            "crm/events/edit.html",
            form=form,
            event=event,
            translated_fields=TRANSLATED,
            public_languages=PUBLIC_LANGUAGES,
            languages=LANGUAGES,
            labels=_labels(form),
            conflicts=list(conflicts),
            conflict_message=str(EVENT_CONFLICT) if conflict else "",
        ),
        status,
    )
