"""Administration of the CRM's settings: response deadline, liaison threshold, retention."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from core import settings
from core.audit import current_actor
from core.extensions import db
from core.forms import Form
from core.models import AuditEntry
from crm.admin import bp
from crm.permissions import require


class WholeNumber(IntegerField):
    """An integer field that refuses absurdly long input before converting it."""

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip()) > 15:
            self.data = None
            raise ValueError(_l("This number is too large."))
        super().process_formdata(valuelist)


def _whole(low: int, high: int):
    return [
        InputRequired(),
        NumberRange(
            min=low,
            max=high,
            message=_l("Enter a whole number from %(min)s to %(max)s."),
        ),
    ]


class SettingsForm(Form):
    response_working_days = WholeNumber(
        _l("First response due within (working days)"), validators=_whole(1, 30)
    )
    liaison_threshold_cny = WholeNumber(
        _l("County leader as liaison from a planned investment of (CNY)"),
        validators=_whole(0, 10**13),
    )
    retention_years = WholeNumber(
        _l("Keep personal data of closed leads for (years)"), validators=_whole(1, 30)
    )
    escalation_working_days = WholeNumber(
        _l("Escalate overdue approvals to the department and the liaison after (working days)"),
        validators=_whole(1, 60),
    )


HINTS = {
    "response_working_days": _l("New leads must get a first answer within this many working days."),
    "liaison_threshold_cny": _l("Leads planning at least this much get a county leader."),
    "retention_years": _l("After this, the retention job anonymises them unless on legal hold."),
    "escalation_working_days": _l(
        "The park's agent is told on the first working day a step is overdue; the department's "
        "contact and the project's liaison leader this many working days later."
    ),
}


@bp.route("/admin/settings", methods=["GET", "POST"])
@require("admin.settings")
def admin_settings():
    current = {key: settings.get(key) for key in settings.DEFAULTS}
    form = SettingsForm(data=current)
    if form.validate_on_submit():
        changes = {
            key: [current[key], getattr(form, key).data]
            for key in settings.DEFAULTS
            if int(current[key]) != getattr(form, key).data
        }
        if changes:
            for key, (_old, new) in changes.items():
                settings.put(key, new)
            # Settings have no numeric id: the entry names the table and lists every key changed.
            db.session.add(
                AuditEntry(
                    actor=current_actor(),
                    action="update",
                    entity_type="Setting",
                    entity_id=None,
                    changes=changes,
                )
            )
            db.session.flush()
        flash(gettext("The settings are saved."), "info")
        return redirect(url_for("crm.admin.admin_settings"))
    return render_template("crm/admin/settings.html", form=form, hints=HINTS)
