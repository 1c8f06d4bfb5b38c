"""Forms of a project's approval steps: adding a step from the list, and editing one step."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core import approvals
from core.approvals import STATUS_LABELS
from core.forms import Form
from core.models import ApprovalStep
from crm.leads.forms import TOO_LONG
from crm.projects.forms import STAFF_ROLES, _people

MAX_NOTES = 2000
# Field ids unique on the project page, which holds the stage form too.
ADD_PREFIX = "approval"


def missing_kinds(steps: list[ApprovalStep]) -> list[SelectChoice]:
    """Step kinds of the list not yet in the file, named in the staff member's language."""
    present = {s.kind for s in steps}
    return [
        SelectChoice(code, approvals.step_name(code))
        for code in approvals.step_kinds()
        if code not in present
    ]


class AddStepForm(Form):
    # Not checked against the choices: core.approvals.add_step says why a step cannot be added.
    kind = SelectField(
        _l("Step to add"),
        validate_choice=False,
        validators=[DataRequired(_l("Choose a step from the list."))],
    )


class StepForm(Form):
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(code, label) for code, label in STATUS_LABELS.items()],
        validate_choice=False,
    )
    submitted_on = DateField(_l("Submitted on"), validators=[Optional()])
    approved_on = DateField(_l("Approved on"), validators=[Optional()])
    agent_id = SelectField(_l("Park agent"), validate_choice=False)
    notes = TextAreaField(
        _l("Notes"), validators=[Optional(), Length(max=MAX_NOTES, message=TOO_LONG)]
    )
    version = HiddenField()
    # The values the form was opened with, to show what someone else changed meanwhile.
    original = HiddenField()

    def fill_choices(self, step: ApprovalStep) -> None:
        # Active staff, plus the step's agent while still named on it even if deactivated since.
        self.agent_id.choices = _people(STAFF_ROLES, step.agent)

    def validate_status(self, field) -> None:
        if field.data not in STATUS_LABELS:
            raise ValidationError(_l("Choose a status from the list."))

    def validate_agent_id(self, field) -> None:
        if field.data not in {c.value for c in field.choices}:
            raise ValidationError(_l("Choose a person from the list."))

    def values(self) -> dict:
        """The submitted values, as core.approvals.update takes them."""
        return {
            "status": self.status.data,
            "submitted_on": self.submitted_on.data,
            "approved_on": self.approved_on.data,
            "notes": self.notes.data or "",
            "agent_id": int(self.agent_id.data) if self.agent_id.data else None,
        }


def add_form(steps: list[ApprovalStep], sent: AddStepForm | None = None) -> AddStepForm | None:
    """The add form with the kinds still missing; None when every kind is already in the file."""
    choices = missing_kinds(steps)
    if not choices and sent is None:
        return None
    form = sent or AddStepForm(formdata=None, prefix=ADD_PREFIX)
    form.kind.choices = [SelectChoice("", _l("Choose a step")), *choices]
    return form
