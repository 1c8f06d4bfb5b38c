"""The lead file: its page, editing with conflict detection, contacts, and manual leads."""

import json

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core.audit import record
from core.choices import industry_name, language_name
from core.code_names import code_name
from core.countries import country_name
from core.extensions import db
from core.leads import on_create, refresh_search_text
from core.models import ConsentRecord, Contact, DuplicateCandidate, Inquiry, Lead
from core.models.base import utcnow
from core.projects import project_of
from core.stages import lead_stage_label
from core.unit_of_work import saved
from crm.conflicts import arm, changed_since, refuse
from crm.leads import bp, timeline
from crm.leads.aliases import ALIAS_KIND_LABELS, AliasForm
from crm.leads.forms import (
    CONTACT_FIELDS,
    LEAD_FIELDS,
    SOURCE_LABELS,
    ContactForm,
    LeadForm,
    NewLeadForm,
    language_choices,
)
from crm.permissions import allowed, can, get_lead_or_404, require

CONFLICT = _l(
    "This lead was changed by someone else while you were editing. Nothing was saved. "
    "Compare the values below; save again to keep yours."
)


def survivor_of(lead_id: int) -> Lead | None:
    """The lead a merged lead now lives on (following merges of merges), if the user may see it."""
    lead, seen = db.session.get(Lead, lead_id), set()
    if lead is None or lead.merged_into_id is None:
        return None
    while lead is not None and lead.merged_into_id is not None and lead.id not in seen:
        seen.add(lead.id)
        lead = db.session.get(Lead, lead.merged_into_id)
    return lead if lead is not None and can("lead.view", lead) else None


def _shown(value) -> str:
    """A model value as the form shows it: '' for nothing, plain figures for amounts."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return f"{value:f}" if hasattr(value, "as_tuple") else str(value)


def _duplicates(lead: Lead) -> list[tuple[DuplicateCandidate, Lead]]:
    rows = db.session.scalars(
        select(DuplicateCandidate)
        .where(
            DuplicateCandidate.resolved_at.is_(None),
            or_(DuplicateCandidate.lead_id == lead.id, DuplicateCandidate.other_id == lead.id),
        )
        .order_by(DuplicateCandidate.score.desc())
    ).all()
    found = []
    for row in rows:
        other = db.session.get(Lead, row.other_id if row.lead_id == lead.id else row.lead_id)
        if other is not None and other.merged_into_id is None and can("lead.view", other):
            found.append((row, other))
    return found


@bp.route("/leads/<id:lead_id>")
@require("lead.view")
def lead(lead_id: int):
    survivor = survivor_of(lead_id)
    if survivor is not None:
        return redirect(url_for("crm.leads.lead", lead_id=survivor.id))
    lead = get_lead_or_404(
        lead_id,
        "lead.view",
        selectinload(Lead.contacts),
        selectinload(Lead.inquiries).selectinload(Inquiry.plot),
        selectinload(Lead.inquiries).selectinload(Inquiry.contact),
        selectinload(Lead.plots),
        selectinload(Lead.aliases),
    )
    consents = db.session.scalars(
        select(ConsentRecord)
        .join(Contact)
        .where(Contact.lead_id == lead.id)
        .order_by(ConsentRecord.created_at.desc())
    ).all()
    plots = {p.code: p for p in lead.plots}
    plots.update({i.plot.code: i.plot for i in lead.inquiries if i.plot})
    entries = timeline.build(lead)
    kind = request.args.get("timeline")
    kind = kind if kind in timeline.KINDS else None
    return render_template(
        "crm/leads/detail.html",
        lead=lead,
        consents=consents,
        plots=sorted(plots.values(), key=lambda p: p.code),
        duplicates=_duplicates(lead),
        timeline=timeline.of_kind(entries, kind),
        timeline_counts=timeline.counts(entries),
        timeline_kind=kind,
        timeline_kinds=timeline.KINDS,
        may_audit=can("lead.audit", lead),
        may_answer=can("activity.create", lead),
        source_labels=SOURCE_LABELS,
        now=utcnow(),
        country_name=country_name,
        industry_name=industry_name,
        language_name=language_name,
        back_url=url_for("crm.leads.leads")
        if "crm.leads.leads" in current_app.view_functions
        else None,
        stage_label=lead_stage_label,
        may_edit=can("lead.edit", lead),
        alias_form=AliasForm(),
        alias_kinds=ALIAS_KIND_LABELS,
        may_merge=can("lead.merge", lead),
        may_privacy=can("lead.privacy", lead),
        may_see_enterprise=can("enterprise.view"),
        project=project_of(lead) if allowed("project.view") else None,
    )


@bp.route("/leads/<id:lead_id>/edit", methods=["GET", "POST"])
@require("lead.edit")
def lead_edit(lead_id: int):
    lead = get_lead_or_404(lead_id, "lead.edit")
    # Only the roles that handle privacy requests may put a lead on legal hold or lift it.
    may_hold = allowed("lead.privacy")
    may_classify = allowed("lead.confidential")
    flags = (("legal_hold",) if may_hold else ()) + (("confidential",) if may_classify else ())
    fields = LEAD_FIELDS + flags
    form = LeadForm()
    form.fill_choices(lead.industry)
    current = {name: _shown(getattr(lead, name)) for name in fields}
    if request.method == "GET":
        for name in fields:
            getattr(form, name).data = getattr(lead, name) if name in flags else current[name]
        arm(form, lead.version_id, current)
    conflicts = []
    if form.validate_on_submit():
        values = form.lead_values()
        for name in flags:
            values[name] = getattr(form, name).data
        if form.version.data == str(lead.version_id):
            changes = {k: [getattr(lead, k), v] for k, v in values.items() if getattr(lead, k) != v}
            if not changes:
                flash(gettext("Nothing changed."), "info")
                return redirect(url_for("crm.leads.lead", lead_id=lead.id))
            for name, (_old, new) in changes.items():
                setattr(lead, name, new)
            refresh_search_text(lead)
            record("update", lead, changes)
            if not saved():
                lead = get_lead_or_404(lead_id, "lead.edit")
            else:
                flash(gettext("The lead was saved."), "success")
                return redirect(url_for("crm.leads.lead", lead_id=lead.id))
            current = {name: _shown(getattr(lead, name)) for name in fields}
        submitted = {name: _shown(v) for name, v in values.items()}
        conflicts = refuse(form, lead.version_id, current, submitted)
    return render_template(
        "crm/leads/edit.html",
        lead=lead,
        form=form,
        may_hold=may_hold,
        may_classify=may_classify,
        conflicts=conflicts,
        conflict_message=str(CONFLICT) if request.method == "POST" and not form.errors else "",
    )


def _contact_or_404(lead: Lead, contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.lead_id != lead.id:
        abort(404)
    return contact


@bp.route("/leads/<id:lead_id>/contacts/new", methods=["GET", "POST"])
@require("lead.edit")
def contact_new(lead_id: int):
    return _contact_form(get_lead_or_404(lead_id, "lead.edit"), None)


@bp.route("/leads/<id:lead_id>/contacts/<id:contact_id>/edit", methods=["GET", "POST"])
@require("lead.edit")
def contact_edit(lead_id: int, contact_id: int):
    lead = get_lead_or_404(lead_id, "lead.edit")
    return _contact_form(lead, _contact_or_404(lead, contact_id))


def _contact_form(lead: Lead, contact: Contact | None):
    form = ContactForm()
    form.contact_language.choices = language_choices()
    current = {n: _shown(getattr(contact, n)) for n in CONTACT_FIELDS} if contact else {}
    if request.method == "GET":
        form.contact_language.data = lead.language
        for name, value in current.items():
            getattr(form, "contact_language" if name == "language" else name).data = value
        form.original.data = json.dumps(current)
    conflicts = []
    valid = form.validate_on_submit()
    if request.method == "POST" and form.check_phone(lead.country) and valid:
        values = form.contact_values()
        submitted = {name: _shown(v) for name, v in values.items()}
        if contact is not None and json.dumps(current) != form.original.data:
            conflicts = changed_since(current, form.original.data, submitted)
            form.original.data = json.dumps(current)
        else:
            if contact is None:
                contact = Contact(**values)
                lead.contacts.append(contact)
                changes = {k: [None, v] for k, v in values.items() if v is not None}
                action = "create"
            else:
                changes = {
                    k: [getattr(contact, k), v]
                    for k, v in values.items()
                    if getattr(contact, k) != v
                }
                action = "update"
            if changes:
                for name, (_old, new) in changes.items():
                    setattr(contact, name, new)
                refresh_search_text(lead)
                record(action, contact, changes)
                db.session.flush()
                flash(gettext("The contact was saved."), "success")
            else:
                flash(gettext("Nothing changed."), "info")
            return redirect(url_for("crm.leads.lead", lead_id=lead.id))
    return render_template(
        "crm/leads/contact.html",
        lead=lead,
        contact=contact,
        form=form,
        conflicts=conflicts,
        conflict_message=str(CONFLICT) if conflicts else "",
    )


def new_lead_form(**prefill) -> NewLeadForm:
    """The new-lead form, in Chinese by default, with what a GET may fill in (a mail's sender)."""
    form = NewLeadForm()
    form.fill_choices()
    form.contact_language.choices = language_choices()
    if request.method == "GET":
        form.language.data = form.contact_language.data = "zh"
        for name, value in prefill.items():
            getattr(form, name).data = value
    return form


def lead_from_form(form: NewLeadForm) -> Lead | None:
    """The lead the posted form describes, created and audited; None while the form is wrong."""
    valid = form.validate_on_submit()
    if request.method != "POST" or not (form.check_phone(form.country.data) and valid):
        return None
    values = form.lead_values()
    lead = Lead(source=form.source.data, stage="new", investment_currency="CNY", **values)
    if current_user.role == "officer":
        # An officer's own lead stays theirs; managers leave it to the assignment rules.
        lead.owner_id, lead.team_id = current_user.id, current_user.team_id
    lead.contacts.append(Contact(**form.contact_values()))
    db.session.add(lead)
    on_create(lead, user=current_user)
    created = {k: [None, v] for k, v in values.items() if v is not None}
    created["source"] = [None, lead.source]
    record("create", lead, created)
    db.session.flush()
    return lead


@bp.route("/leads/new", methods=["GET", "POST"])
@require("lead.create")
def lead_new():
    form = new_lead_form()
    lead = lead_from_form(form)
    if lead is not None:
        flagged = len(_duplicates(lead))
        db.session.flush()
        flash(gettext("The lead %(code)s was created.", code=code_name(lead)), "success")
        if flagged:
            flash(
                ngettext(
                    "It may duplicate %(num)s existing lead: see below.",
                    "It may duplicate %(num)s existing leads: see below.",
                    flagged,
                ),
                "warning",
            )
        return redirect(url_for("crm.leads.lead", lead_id=lead.id))
    return render_template("crm/leads/new.html", form=form)
