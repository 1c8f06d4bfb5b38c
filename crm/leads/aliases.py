"""A lead's other names on its page: adding one, removing one (core/aliases.py keeps the rules)."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from core.aliases import add_alias, remove_alias
from core.extensions import db
from core.forms import Form
from core.models import ALIAS_KINDS, LeadAlias
from crm.leads import bp
from crm.leads.forms import TOO_LONG, single_line
from crm.permissions import get_lead_or_404, require

ALIAS_KIND_LABELS = {
    "chinese": _l("Chinese name"),
    "latin": _l("Latin name"),
    "former": _l("Former name"),
}


class AliasForm(Form):
    name = StringField(
        _l("Other name"),
        validators=[
            DataRequired(_l("Enter the name.")),
            single_line,
            Length(max=200, message=TOO_LONG),
        ],
    )
    kind = SelectField(
        _l("Kind of name"),
        choices=[SelectChoice(kind, ALIAS_KIND_LABELS[kind]) for kind in ALIAS_KINDS],
    )


class RemoveAliasForm(Form):
    pass


@bp.route("/leads/<id:lead_id>/aliases", methods=["POST"])
@require("lead.edit")
def alias_add(lead_id: int):
    lead = get_lead_or_404(lead_id, "lead.edit")
    form = AliasForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
    elif add_alias(lead, form.name.data, form.kind.data) is None:
        flash(gettext("The firm is already known by that name."), "info")
    else:
        db.session.flush()
        flash(gettext("The name was added."), "success")
    return redirect(url_for("crm.leads.lead", lead_id=lead.id, _anchor="aliases"))


@bp.route("/leads/<id:lead_id>/aliases/<id:alias_id>/remove", methods=["POST"])
@require("lead.edit")
def alias_remove(lead_id: int, alias_id: int):
    lead = get_lead_or_404(lead_id, "lead.edit")
    alias = db.session.get(LeadAlias, alias_id)
    if alias is None or alias.lead_id != lead.id:
        abort(404)
    if RemoveAliasForm().validate_on_submit():
        remove_alias(lead, alias)
        db.session.flush()
        flash(gettext("The name was removed."), "success")
    return redirect(url_for("crm.leads.lead", lead_id=lead.id, _anchor="aliases"))
