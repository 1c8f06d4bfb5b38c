"""The forms for logging an activity and composing an email to an investor."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.forms import Form
from core.i18n import LANGUAGES
from crm.activities.records import BODY_MAX, SUBJECT_MAX

KIND_LABELS = {
    "call": _l("Call"),
    "meeting": _l("Meeting"),
    "site_visit": _l("Site visit"),
    "email": _l("Email"),
    "note": _l("Note"),
    "task": _l("Task"),
}
DIRECTION_LABELS = {"out": _l("Sent by us"), "in": _l("Received from the investor")}
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
# The letters offered from the CRM; each has a file per language in mail/<key>.<lang>.txt.
TEMPLATE_LABELS = {
    "first_reply": _l("First reply to an inquiry"),
    "site_visit_invitation": _l("Invitation to a site visit"),
    "documents_request": _l("Request for documents"),
    "follow_up": _l("Follow-up"),
}
EMAIL_BODY_MAX = 20_000


def single_line(form, field):
    """A subject becomes a mail header: a line break there could inject further headers."""
    if field.data and ("\r" in field.data or "\n" in field.data):
        raise ValidationError(_l("The subject must be a single line."))


class ActivityForm(Form):
    kind = SelectField(
        _l("What happened"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()]
    )
    direction = SelectField(
        _l("Direction (emails only)"),
        choices=[SelectChoice(k, v) for k, v in DIRECTION_LABELS.items()],
        default="out",
        validate_choice=False,  # checked for emails only, in validate_direction
    )
    subject = StringField(
        _l("Subject"), validators=[DataRequired(), Length(max=SUBJECT_MAX), single_line]
    )
    body = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=BODY_MAX)])
    occurred_at = DateTimeLocalField(
        _l("When it happened"), format=LOCAL_FORMATS, validators=[Optional()]
    )
    due_at = DateTimeLocalField(_l("Due (tasks)"), format=LOCAL_FORMATS, validators=[Optional()])
    assignee_id = SelectField(_l("Assignee (tasks)"), coerce=int, validators=[Optional()])
    version_id = HiddenField()

    def validate_direction(self, field):
        if self.kind.data == "email" and field.data not in DIRECTION_LABELS:
            raise ValidationError(_l("Say whether the email was sent or received."))

    def validate_due_at(self, field):
        if self.kind.data == "task" and field.data is None and not field.errors:
            raise ValidationError(_l("A task needs a due date and time."))


class EmailForm(Form):
    contact_id = SelectField(_l("Recipient"), coerce=int, validators=[InputRequired()])
    template = SelectField(
        _l("Template"),
        choices=[SelectChoice(k, v) for k, v in TEMPLATE_LABELS.items()],
        validate_choice=False,  # an answer may have none: validate_template
    )
    language = SelectField(
        _l("Language of the email"),
        choices=[SelectChoice(code, info["name"]) for code, info in LANGUAGES.items()],
    )
    subject = StringField(
        _l("Subject"), validators=[DataRequired(), Length(max=SUBJECT_MAX), single_line]
    )
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=EMAIL_BODY_MAX)])
    # The lead's files that go along (new uploads join them once stored), as ticked boxes.
    attach = SelectMultipleField(
        _l("Files of this lead to attach"),
        coerce=int,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    attachments = MultipleFileField(_l("Add files"))
    # The received mail being answered (In-Reply-To, References); empty for a new letter.
    reply = HiddenField()

    def validate_template(self, field):
        if field.data and field.data not in TEMPLATE_LABELS:
            raise ValidationError(_l("Choose one of the templates offered."))

    def validate_attach(self, field):
        # Checked here, not by WTForms' choice check: an id that is not (or no longer) the
        # lead's gets a sentence of its own.
        if field.data and not set(field.data) <= {value for value, *_ in field.choices}:
            raise ValidationError(_l("A file chosen is no longer with this lead; choose again."))
