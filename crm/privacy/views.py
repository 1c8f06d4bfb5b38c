"""Personal data on request: export everything about a person, anonymise, retention."""

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice

from core import privacy
from core.audit import record
from core.extensions import db
from core.forms import Form
from core.models import Contact
from crm.permissions import get_lead_or_404, require
from crm.privacy import bp


class ExportForm(Form):
    format = RadioField(
        _l("File format"),
        choices=[SelectChoice("json", "JSON"), SelectChoice("csv", "CSV")],
        default="json",
    )
    # Empty: everything about the lead's people; else one contact's data.
    contact = HiddenField()


class AnonymiseForm(Form):
    version = HiddenField()


@bp.route("/leads/<int:lead_id>/person-export", methods=["GET", "POST"])
@require("lead.privacy")
def person_export(lead_id: int):
    lead = get_lead_or_404(lead_id, "lead.privacy")
    form = ExportForm()
    if not form.validate_on_submit():
        return render_template("crm/privacy/export.html", lead=lead, form=form)
    contact = None
    if form.contact.data:
        if not form.contact.data.isdigit():
            abort(404)
        contact = db.session.get(Contact, int(form.contact.data))
        if contact is None or contact.lead_id != lead.id:
            abort(404)
    data = privacy.person_data(lead, contact)
    record(
        "export",
        lead,
        {"format": [None, form.format.data], "contact": [None, contact.id if contact else None]},
    )
    db.session.flush()
    name = f"{lead.code_name}-contact-{contact.id}" if contact else f"{lead.code_name}-lead"
    if form.format.data == "csv":
        body, mimetype = privacy.person_csv(data), "text/csv; charset=utf-8"
    else:
        body = json.dumps(data, ensure_ascii=False, indent=2)
        mimetype = "application/json; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{form.format.data}"'
    return response


@bp.route("/leads/<int:lead_id>/anonymise", methods=["GET", "POST"])
@require("lead.privacy")
def lead_anonymise(lead_id: int):
    lead = get_lead_or_404(lead_id, "lead.privacy")
    form = AnonymiseForm()
    problem = ""
    if lead.legal_hold:
        problem = gettext("This lead is on legal hold: it cannot be anonymised.")
    elif lead.anonymised_at is not None:
        problem = gettext("This lead has been anonymised already.")
    if request.method == "GET":
        form.version.data = str(lead.version_id)
    elif form.validate_on_submit() and not problem:
        if form.version.data != str(lead.version_id):
            problem = gettext(
                "This lead was changed by someone else meanwhile. Nothing was anonymised: "
                "check the lead and confirm again."
            )
            form.version.data = str(lead.version_id)
        else:
            privacy.anonymise(lead)
            db.session.flush()
            flash(gettext("The lead's personal data was anonymised."), "success")
            return redirect(url_for("crm.leads.lead", lead_id=lead.id))
    status = 409 if problem and request.method == "POST" else 200
    return render_template(
        "crm/privacy/anonymise.html", lead=lead, form=form, problem=problem
    ), status
