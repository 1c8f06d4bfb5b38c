"""The signing page: a lead moved to Signed with its contract (core.lead_moves.move_lead)."""

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import joinedload

from core.extensions import db
from core.i18n import current_language
from core.lead_moves import SIGNING_ROLES, changed_elsewhere, move_lead
from core.models import Lead, User
from core.projects import park_today, project_of
from core.refusals import Refused
from core.signing import Signing
from core.unit_of_work import saved
from core.uploads import StorageUnavailable
from crm.permissions import get_lead_or_404, require
from crm.pipeline import bp
from crm.pipeline.shared import lead_name, next_page
from crm.pipeline.signing_form import SigningForm
from crm.projects import evidence


def may_sign(lead: Lead) -> bool:
    return current_user.role in SIGNING_ROLES or lead.owner_id == current_user.id


def amount_text(amount: Decimal) -> str:
    """An amount as the reader types it: 8000万 in Chinese (when whole 万), else in yuan."""
    if current_language() == "zh" and amount % 10_000 == 0:
        return f"{(amount / 10_000).normalize():f}万"
    return f"{amount.normalize():f}"


def _fresh_form(lead: Lead) -> SigningForm:
    today = park_today()
    form = SigningForm(formdata=None)
    form.fill_choices(lead, today)
    form.signed_on.data = today
    if lead.planned_investment:
        form.amount.data = amount_text(lead.planned_investment)
    form.liaison.data = str(lead.liaison_id or "")
    if form.policy_version.choices:
        form.policy_version.data = form.policy_version.choices[0].value
    form.plots.data = [p.id for p in form.offered if p.reserved_for_id == lead.id]
    form.version.data = str(lead.version_id)
    asked = request.args.get("next", "")
    form.next.data = next_page(asked) if asked else url_for("crm.leads.lead", lead_id=lead.id)
    return form


def _page(lead: Lead, form: SigningForm, status: int = 200, problem: str = ""):
    back = form.next.data or url_for("crm.leads.lead", lead_id=lead.id)
    html = render_template(
        "crm/pipeline/sign.html",
        lead=lead,
        form=form,
        problem=problem,
        back=back,
        name=lead_name(lead),
        today=park_today(),
    )
    return html, status


def _field_of(refusal: Refused, form: SigningForm):
    return getattr(form, refusal.field, None) if refusal.field else None


@bp.route("/leads/<id:lead_id>/sign", methods=["GET", "POST"])
@require("lead.move")
def lead_sign(lead_id: int):
    lead = get_lead_or_404(lead_id, "lead.move", joinedload(Lead.owner))
    if not may_sign(lead):
        abort(403)
    if project_of(lead) is not None:  # signed before: the move form moves it back to Signed
        flash(gettext("The lead was signed before: its project holds the contract."), "info")
        return redirect(url_for("crm.leads.lead", lead_id=lead.id))
    if request.method == "GET":
        return _page(lead, _fresh_form(lead))
    form = SigningForm()
    form.fill_choices(lead, park_today())
    form.next.data = next_page(form.next.data or "")
    valid = form.validate_on_submit()
    document = None
    try:
        document = evidence.read_document(form.agreement.data)
    except evidence.DocumentError as problem:
        form.agreement.errors = [*form.agreement.errors, str(problem)]
    else:
        if document is None:
            form.agreement.errors = [
                *form.agreement.errors,
                gettext("Choose the investment agreement to upload (PDF, JPEG or PNG)."),
            ]
    if not valid or form.agreement.errors:
        return _page(lead, form, 422)
    if form.version.data != str(lead.version_id):
        form.version.data = str(lead.version_id)
        return _page(lead, form, 409, changed_elsewhere(lead).message)
    offered = {p.id: p for p in form.offered}
    chosen = [offered[i] for i in sorted(set(form.plots.data or [])) if i in offered]
    if len(chosen) != len(set(form.plots.data or [])):
        form.plots.errors = [gettext("A chosen plot is no longer available: choose again.")]
        return _page(lead, form, 422)
    data, content_type, name = document
    try:
        liaison = db.session.get(User, int(form.liaison.data)) if form.liaison.data else None
        signing = Signing(
            signed_on=form.signed_on.data,
            amount=form.amount.amount,
            agreement=(evidence.store(data, content_type), content_type, len(data)),
            agreement_name=name,
            construction_deadline=form.construction_deadline.data,
            policy_version=form.policy_version.data,
            liaison=liaison,
            plots=chosen,
        )
        move_lead(lead, "signed", current_user, signing=signing)
    except (Refused, StorageUnavailable) as refusal:
        db.session.rollback()  # which removes the agreement written for it (core.uploads)
        lead = get_lead_or_404(lead_id, "lead.move", joinedload(Lead.owner))
        form.fill_choices(lead, park_today())
        if isinstance(refusal, StorageUnavailable):
            return _page(lead, form, 503, str(refusal))
        if refusal.status == 403:
            abort(403)
        field = _field_of(refusal, form)
        if field is not None:
            field.errors = [*field.errors, refusal.message]
            return _page(lead, form, 422)
        return _page(lead, form, refusal.status if refusal.status != 400 else 422, refusal.message)
    if not saved():  # another request moved or edited the lead between our read and our write
        lead = get_lead_or_404(lead_id, "lead.move", joinedload(Lead.owner))
        form.fill_choices(lead, park_today())
        form.version.data = str(lead.version_id)
        return _page(lead, form, 409, changed_elsewhere(lead).message)
    flash(gettext("Signed %(lead)s: the project is open.", lead=lead_name(lead)), "success")
    project = project_of(lead)
    return redirect(url_for("crm.projects.project", project_id=project.id))
