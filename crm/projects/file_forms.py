"""The forms of a project's file: a coordination meeting with new action items, an issue."""

import wtforms
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core.approvals import department_name, departments
from core.extensions import db
from core.forms import Form
from core.models import User
from core.projects import park_today
from crm.leads.forms import TOO_LONG, single_line

# New action items one save of a meeting can add; more are added by saving the meeting again.
NEW_ACTIONS = 5
BAD_DAY = _l("Enter the day as a date.")
FUTURE = _l("The day cannot be in the future.")
# The issue's own fields its form edits; the audit trail and conflicts use these names.
ISSUE_FIELDS = ("raised_on", "description", "department", "due_on", "resolution", "resolved_on")
MEETING_FIELDS = ("held_on", "title", "minutes", "decisions")


def no_nul(value):
    # PostgreSQL text cannot hold NUL; it is never typed, only pasted by accident: drop it.
    return value.replace("\x00", "") if isinstance(value, str) else value


def not_in_future(form, field) -> None:
    if field.data and field.data > park_today():
        raise ValidationError(FUTURE)


def staff_choices() -> list[SelectChoice]:
    """Active users of the CRM, any role: the liaison leader may own an action item too."""
    users = db.session.scalars(
        select(User).where(User.active.is_(True)).order_by(User.name, User.id)
    ).all()
    return [
        SelectChoice("", _l("Nobody: type a name")),
        *(SelectChoice(str(u.id), u.name) for u in users),
    ]


class ActionRow(wtforms.Form):
    """One new action item; a row left empty is ignored."""

    text = TextAreaField(
        _l("What must be done"), filters=[no_nul], validators=[Length(max=1000, message=TOO_LONG)]
    )
    owner_id = SelectField(_l("Member of staff"), validate_choice=False)
    owner_name = StringField(
        _l("Or another owner (a department, the firm)"),
        validators=[Optional(), single_line, Length(max=120, message=TOO_LONG)],
    )
    due_on = DateField(_l("Due on"), validators=[Optional()], invalid_value_message=BAD_DAY)

    def is_empty(self) -> bool:
        return not any(
            (
                (self.text.data or "").strip(),
                self.owner_id.data,
                (self.owner_name.data or "").strip(),
                self.due_on.raw_data and self.due_on.raw_data[0].strip(),
            )
        )


class Rows(FieldList):
    """Exactly the rows 0..min_entries-1, each read by its own name (a row not sent is empty).

    FieldList renumbers the rows sent, so a POST holding only row 1 would show it as row 0 and
    read it a second time as the new row 1; other row numbers are ignored here."""

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.last_index, self.entries, self.object_data = -1, [], data
        for index in range(self.min_entries):
            self._add_entry(formdata, index=index)


class MeetingForm(Form):
    held_on = DateField(
        _l("Held on"),
        validators=[DataRequired(BAD_DAY), not_in_future],
        invalid_value_message=BAD_DAY,
    )
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Give the meeting a title.")),
            single_line,
            Length(max=200, message=TOO_LONG),
        ],
    )
    minutes = TextAreaField(
        _l("Minutes"), filters=[no_nul], validators=[Length(max=20000, message=TOO_LONG)]
    )
    decisions = TextAreaField(
        _l("Decisions"), filters=[no_nul], validators=[Length(max=5000, message=TOO_LONG)]
    )
    actions = Rows(FormField(ActionRow), min_entries=NEW_ACTIONS, max_entries=NEW_ACTIONS)
    version = HiddenField()
    # The values the form was opened with, to show what someone else changed meanwhile.
    original = HiddenField()

    def fill_choices(self) -> None:
        choices = staff_choices()
        self.people = {c.value: c.label for c in choices if c.value}
        for row in self.actions:
            row.owner_id.choices = choices

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self._check_actions() and valid

    def _check_actions(self) -> bool:
        """What a filled row still lacks, told beside that row's field."""
        held = self.held_on.data
        for row in self.actions:
            if row.is_empty():
                continue
            text = (row.text.data or "").strip()
            owner, name = row.owner_id.data or "", (row.owner_name.data or "").strip()
            if not text and not row.text.errors:
                row.text.errors.append(gettext("Say what must be done."))
            if owner and owner not in self.people:
                row.owner_id.errors.append(gettext("Choose a member of staff from the list."))
            elif owner and name:
                row.owner_name.errors.append(
                    gettext("Choose a member of staff or type a name, not both.")
                )
            elif not owner and not name and not row.owner_name.errors:
                row.owner_name.errors.append(gettext("Say who must do it."))
            if row.due_on.data and held and row.due_on.data < held:
                row.due_on.errors.append(gettext("The due day cannot be before the meeting."))
        # Field by field: a row's cached .errors was taken before these were added.
        return not any(f.errors for row in self.actions for f in row.form)

    def problems(self) -> list[tuple[str, str, str]]:
        """Every error as (field id, label, message), the rows' fields included, for the summary."""
        found = []
        for field in self:
            if field.name == "actions":
                for number, row in enumerate(field, start=1):
                    for sub in row.form:
                        label = gettext(
                            "New action item %(number)d: %(field)s",
                            number=number,
                            field=sub.label.text,
                        )
                        found += [(sub.id, label, str(error)) for error in sub.errors]
            elif field.type not in ("CSRFTokenField", "HiddenField"):
                found += [(field.id, str(field.label.text), str(e)) for e in field.errors]
        return found

    def new_actions(self) -> list[dict]:
        """The filled rows, typed as ActionItem holds them."""
        return [
            {
                "text": row.text.data.strip(),
                "owner_id": int(row.owner_id.data) if row.owner_id.data else None,
                "owner_name": (row.owner_name.data or "").strip(),
                "due_on": row.due_on.data,
            }
            for row in self.actions
            if not row.is_empty()
        ]

    def values(self) -> dict:
        return {
            "held_on": self.held_on.data,
            "title": self.title.data.strip(),
            "minutes": (self.minutes.data or "").strip(),
            "decisions": (self.decisions.data or "").strip(),
        }


def department_choices(current: str | None = None) -> list[SelectChoice]:
    codes = list(departments())
    if current and current not in codes:  # a department since removed from the list stays
        codes.append(current)
    return [
        SelectChoice("", _l("Choose a department")),
        *(SelectChoice(c, department_name(c)) for c in codes),
    ]


class IssueForm(Form):
    raised_on = DateField(
        _l("Raised on"),
        validators=[DataRequired(BAD_DAY), not_in_future],
        invalid_value_message=BAD_DAY,
    )
    description = TextAreaField(
        _l("Difficulty"),
        filters=[no_nul],
        validators=[
            DataRequired(_l("Describe the difficulty.")),
            Length(max=5000, message=TOO_LONG),
        ],
    )
    department = SelectField(
        _l("Owning department"),
        validate_choice=False,
        validators=[DataRequired(_l("Choose a department."))],
    )
    due_on = DateField(_l("Due on"), validators=[Optional()], invalid_value_message=BAD_DAY)
    resolution = TextAreaField(
        _l("Resolution"), filters=[no_nul], validators=[Length(max=5000, message=TOO_LONG)]
    )
    resolved_on = DateField(
        _l("Resolved on"), validators=[Optional(), not_in_future], invalid_value_message=BAD_DAY
    )
    version = HiddenField()
    # The values the form was opened with, to show what someone else changed meanwhile.
    original = HiddenField()

    def fill_choices(self, current: str | None = None) -> None:
        self.department.choices = department_choices(current)

    def validate_department(self, field) -> None:
        if field.data not in {c.value for c in field.choices if c.value}:
            raise ValidationError(gettext("Choose a department from the list."))

    def validate_due_on(self, field) -> None:
        raised = self.raised_on.data
        if field.data and raised and field.data < raised:
            raise ValidationError(gettext("The due day cannot be before the day it was raised."))

    def validate_resolved_on(self, field) -> None:
        if not field.data:
            return
        if not (self.resolution.data or "").strip():
            raise ValidationError(gettext("Say how it was resolved before giving the day."))
        raised = self.raised_on.data
        if raised and field.data < raised:
            raise ValidationError(gettext("It cannot be resolved before the day it was raised."))

    def values(self) -> dict:
        """The submitted values, typed as ProjectIssue holds them."""
        return {
            "raised_on": self.raised_on.data,
            "description": self.description.data.strip(),
            "department": self.department.data,
            "due_on": self.due_on.data,
            "resolution": (self.resolution.data or "").strip(),
            "resolved_on": self.resolved_on.data,
        }
