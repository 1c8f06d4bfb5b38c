"""Forms of a project's incentives: extending a deadline, and closing an incentive review."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from core.forms import Form
from core.i18n import date as date_text
from core.models import Project
from crm.leads.forms import TOO_LONG

DEADLINE_LABELS = {
    "construction": _l("Start of construction"),
    "production": _l("Start of production"),
}
MAX_TEXT = 2000  # DeadlineExtension.reason is String(2000); the review note goes to the audit
# Field ids unique on the project page, which holds the stage form and other partials' forms.
EXTEND_PREFIX = "extend"
REVIEW_PREFIX = "review"


class ExtendForm(Form):
    deadline = RadioField(
        _l("Deadline to extend"),
        choices=[SelectChoice(code, label) for code, label in DEADLINE_LABELS.items()],
        validators=[DataRequired(_l("Choose the deadline to extend."))],
    )
    new_date = DateField(
        _l("New deadline"), validators=[DataRequired(_l("Enter the new deadline as a date."))]
    )
    reason = TextAreaField(
        _l("Reason for the extension"),
        validators=[
            DataRequired(_l("Give the reason for the extension.")),
            Length(max=MAX_TEXT, message=TOO_LONG),
        ],
    )
    version = HiddenField()

    def bind(self, project: Project) -> "ExtendForm":
        """The project whose current deadlines the new day is checked against."""
        self.project = project
        return self

    def validate_new_date(self, field) -> None:
        project = getattr(self, "project", None)
        which = self.deadline.data
        if project is None or which not in DEADLINE_LABELS or field.data is None:
            return
        current = getattr(project, f"{which}_deadline")
        if current is not None and field.data <= current:
            raise ValidationError(
                gettext(
                    "The new deadline must be later than the current one (%(date)s).",
                    date=date_text(current),
                )
            )
        if field.data < project.signed_on:
            raise ValidationError(gettext("The deadline cannot be before the signing."))
        production = project.production_deadline
        if which == "construction" and production is not None and field.data > production:
            # The project form refuses production due before construction: the same rule here.
            raise ValidationError(
                gettext(
                    "Production is due by %(date)s: extend that deadline first, then this one.",
                    date=date_text(production),
                )
            )


class ReviewForm(Form):
    note = TextAreaField(
        _l("What was decided"),
        validators=[
            DataRequired(_l("Write down what was decided.")),
            Length(max=MAX_TEXT, message=TOO_LONG),
        ],
    )
    version = HiddenField()
