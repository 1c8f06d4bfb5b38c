"""The forms of a visit or meeting: scheduling and moving it, cancelling it, its outcome."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from core.appointments import BEIJING, COUNTRY_ZONES, MINUTES_MAX, MINUTES_MIN
from core.forms import Form
from crm.activities.forms import single_line

KIND_LABELS = {"site_visit": _l("Site visit"), "meeting": _l("Meeting")}
STATUS_LABELS = {
    "scheduled": _l("Scheduled"),
    "held": _l("Held"),
    "cancelled": _l("Cancelled"),
}
# The zones offered: Beijing first, then the investors' countries' zones, each once.
ZONES = [BEIJING, *sorted(set(COUNTRY_ZONES.values()) - {BEIJING})]
AGENDA_MAX = 5_000
OUTCOME_MAX = 10_000


class AppointmentForm(Form):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), single_line])
    day = DateField(_l("Date"), validators=[InputRequired()])
    start = TimeField(_l("Start time"), validators=[InputRequired()])
    timezone = SelectField(
        _l("Time zone of the date and time"),
        choices=[SelectChoice(z, z) for z in ZONES],
        default=BEIJING,
    )
    minutes = IntegerField(
        _l("Length in minutes"),
        default=90,
        validators=[InputRequired(), NumberRange(min=MINUTES_MIN, max=MINUTES_MAX)],
    )
    place = StringField(_l("Place"), validators=[Optional(), Length(max=300), single_line])
    agenda = TextAreaField(_l("Agenda"), validators=[Optional(), Length(max=AGENDA_MAX)])
    staff = SelectMultipleField(_l("Staff attending"), coerce=int, validators=[Optional()])
    contacts = SelectMultipleField(
        _l("The investor's contacts invited"), coerce=int, validators=[Optional()]
    )
    version_id = HiddenField()

    def validate_day(self, field):
        # Years far off cannot be moved between time zones (datetime overflows at 1 and 9999).
        if field.data and not 2000 <= field.data.year <= 2999:
            raise ValidationError(_l("Choose a date between the years 2000 and 2999."))


class CancelForm(Form):
    reason = TextAreaField(_l("Why it is cancelled"), validators=[Optional(), Length(max=2_000)])
    version_id = HiddenField()


class OutcomeForm(Form):
    outcome = TextAreaField(_l("Outcome"), validators=[DataRequired(), Length(max=OUTCOME_MAX)])
    version_id = HiddenField()
