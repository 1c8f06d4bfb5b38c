"""An enterprise's portal contacts in the CRM: adding, editing, deactivating, inviting."""

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.audit import record
from core.enterprises import invite, normalise_address
from core.extensions import db
from core.models import Enterprise, EnterpriseContact, PortalLink
from core.models.base import utcnow
from crm.conflicts import changed_since
from crm.enterprises import bp
from crm.enterprises.forms import CONTACT_FIELDS, ContactForm
from crm.enterprises.views import get_enterprise_or_404
from crm.leads.forms import check_phone
from crm.permissions import MAX_ID, require

CONFLICT = _l(
    "This contact was changed by someone else while you were editing. Nothing was saved. "
    "Compare the values below; save again to keep yours."
)
# Contacts work in the park: a number without a country code is a Chinese one.
PHONE_REGION = "CN"


def get_contact_or_404(firm: Enterprise, contact_id: int) -> EnterpriseContact:
    """A contact of this enterprise; another enterprise's contact is 404, as if missing."""
    contact = db.session.get(EnterpriseContact, contact_id) if 0 < contact_id <= MAX_ID else None
    if contact is None or contact.enterprise_id != firm.id:
        abort(404)
    return contact


def _shown(value) -> str:
    if isinstance(value, bool):
        return "✓" if value else ""
    return "" if value is None else str(value)


def _email_owner(address: str, contact: EnterpriseContact | None) -> EnterpriseContact | None:
    """The other contact already signing in with this address, if any."""
    other = db.session.scalar(select(EnterpriseContact).where(EnterpriseContact.email == address))
    return other if other is not None and other is not contact else None


def _taken_message(other: EnterpriseContact) -> str:
    return gettext(
        "This address already belongs to %(name)s at %(enterprise)s: one address signs in one "
        "person.",
        name=other.name,
        enterprise=other.enterprise.name,
    )


@bp.route("/enterprises/<int:enterprise_id>/contacts/new", methods=["GET", "POST"])
@require("enterprise.edit")
def enterprise_contact_new(enterprise_id: int):
    return _contact_form(get_enterprise_or_404(enterprise_id), None)


@bp.route(
    "/enterprises/<int:enterprise_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"]
)
@require("enterprise.edit")
def enterprise_contact_edit(enterprise_id: int, contact_id: int):
    firm = get_enterprise_or_404(enterprise_id)
    return _contact_form(firm, get_contact_or_404(firm, contact_id))


def _values(form: ContactForm, contact: EnterpriseContact | None) -> dict:
    return {
        "name": form.name.data.strip(),
        "email": normalise_address(form.email.data),
        "phone": form.phone.e164,
        "position": (form.position.data or "").strip() or None,
        "language": form.language.data,
        # A new contact starts active; only editing can switch a contact off.
        "active": bool(form.active.data) if contact is not None else True,
    }


def _contact_form(firm: Enterprise, contact: EnterpriseContact | None):
    form = ContactForm()
    form.fill_choices()
    current = {n: _shown(getattr(contact, n)) for n in CONTACT_FIELDS} if contact else {}
    if request.method == "GET":
        if contact is None:
            form.language.data = "zh"
        else:
            for name in CONTACT_FIELDS:
                getattr(form, name).data = getattr(contact, name)
        form.original.data = json.dumps(current)
        return _render(firm, contact, form)
    conflicts = []
    valid = form.validate_on_submit()
    if check_phone(form.phone, PHONE_REGION) and valid:
        values = _values(form, contact)
        other = _email_owner(values["email"], contact)
        if other is not None:
            form.email.errors.append(_taken_message(other))
        elif contact is not None and json.dumps(current) != form.original.data:
            submitted = {name: _shown(v) for name, v in values.items()}
            conflicts = changed_since(current, form.original.data, submitted)
            form.original.data = json.dumps(current)
            return _render(firm, contact, form, conflicts, status=409)
        else:
            return _save(firm, contact, form, values)
    return _render(firm, contact, form, status=422)


def _save(firm: Enterprise, contact: EnterpriseContact | None, form: ContactForm, values: dict):
    expire_links = False
    if contact is None:
        contact = EnterpriseContact(enterprise_id=firm.id, **values)
        db.session.add(contact)
        changes = {k: [None, v] for k, v in values.items() if v is not None}
        action = "create"
    else:
        changes = {
            k: [getattr(contact, k), v] for k, v in values.items() if getattr(contact, k) != v
        }
        action = "update"
        if not changes:
            flash(gettext("Nothing changed."), "info")
            return redirect(url_for("crm.enterprises.enterprise", enterprise_id=firm.id))
        for name, (_old, new) in changes.items():
            setattr(contact, name, new)
        if ("active" in changes and not contact.active) or "email" in changes:
            # Whoever is signed in as this contact is signed out, wherever they are, and links
            # already mailed (to the old address) open nothing, even after a reactivation.
            contact.session_version += 1
            expire_links = True
    try:
        if expire_links:
            db.session.execute(
                update(PortalLink)
                .where(PortalLink.contact_id == contact.id, PortalLink.used_at.is_(None))
                .values(expires_at=utcnow())
            )
        record(action, contact, changes)  # flushes a new contact: the address is checked here
        db.session.flush()
    except IntegrityError:  # the address was taken in the same instant
        db.session.rollback()
        form.email.errors.append(gettext("This address already belongs to another contact."))
        return _render(firm, None if action == "create" else contact, form, status=422)
    flash(gettext("The contact was saved."), "success")
    return redirect(
        url_for("crm.enterprises.enterprise", enterprise_id=firm.id) + "#contacts-title"
    )


def _render(firm, contact, form, conflicts=(), status=200):
    labels = {f.name: str(f.label.text) for f in form}
    return (
        render_template(
            "crm/enterprises/contact.html",
            firm=firm,
            contact=contact,
            form=form,
            labels=labels,
            conflicts=list(conflicts),
            conflict_message=str(CONFLICT) if conflicts else "",
        ),
        status,
    )


@bp.route("/enterprises/<int:enterprise_id>/contacts/<int:contact_id>/invite", methods=["POST"])
@require("enterprise.invite")
def enterprise_contact_invite(enterprise_id: int, contact_id: int):
    firm = get_enterprise_or_404(enterprise_id)
    contact = get_contact_or_404(firm, contact_id)
    back = url_for("crm.enterprises.enterprise", enterprise_id=firm.id) + "#contacts-title"
    if not contact.active:
        flash(
            gettext(
                "%(name)s is deactivated and cannot sign in: reactivate the contact first.",
                name=contact.name,
            ),
            "error",
        )
        return redirect(back)
    invite(contact)
    db.session.flush()
    flash(gettext("Invitation sent to %(email)s.", email=contact.email), "success")
    return redirect(back)
