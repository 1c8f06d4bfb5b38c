"""Forms of the import: the upload, reading again in another encoding, and plain actions."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from core.choices import country_choices
from core.extensions import db
from core.forms import Form
from core.i18n import current_language
from core.imports import ENCODINGS
from core.models import Event
from crm.leads.forms import single_line


def encoding_choices(detect: bool) -> list[SelectChoice]:
    """The encodings a CSV may be read as; "" lets the reader detect it (UTF-8, then GB18030)."""
    first = [SelectChoice("", gettext("Detect automatically"))] if detect else []
    return first + [SelectChoice(code, str(label)) for code, label in ENCODINGS]


ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "gb18030": "GB18030", "gbk": "GBK"}
MAX_SOURCE = 120


def event_choices() -> list[SelectChoice]:
    """Every event, the most recent first, named in the staff member's language."""
    lang = current_language()
    events = db.session.scalars(select(Event).order_by(Event.starts_on.desc(), Event.id.desc()))
    return [SelectChoice("", gettext("No event"))] + [
        SelectChoice(str(event.id), f"{event.text('name', lang)} ({event.starts_on.isoformat()})")
        for event in events
    ]


def default_country_choices() -> list[SelectChoice]:
    return [SelectChoice("", gettext("None: each row gives its country")), *country_choices()[1:]]


class UploadForm(Form):
    file = FileField(
        _l("File (CSV or Excel)"), validators=[FileRequired(_l("Choose a CSV or Excel file."))]
    )
    event = SelectField(_l("Event the contacts were met at"), validators=[Optional()])
    source = StringField(
        _l("Source"),
        validators=[Optional(), Length(max=MAX_SOURCE), single_line],
        filters=[lambda text: text.strip() if text else text],
    )
    encoding = SelectField(
        _l("Text encoding of a CSV file"),
    )
    default_country = SelectField(_l("Country for rows that name none"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.event.choices = event_choices()
        self.default_country.choices = default_country_choices()
        self.encoding.choices = encoding_choices(detect=True)


class EncodingForm(Form):
    """Read the stored CSV again in the encoding the user knows it has."""

    encoding = SelectField(_l("Read the file as"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.encoding.choices = encoding_choices(detect=False)


class ActionForm(Form):
    """A button that changes something: only the CSRF token travels with it."""
