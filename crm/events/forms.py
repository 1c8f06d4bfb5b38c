"""The event form: names and booth texts per public language, dates, staff, budget."""

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.extensions import db
from core.forms import Form
from core.i18n import LANGUAGES, PUBLIC_LANGUAGES
from core.models import Event, User
from crm.leads.forms import TOO_LONG, amount_field, lead_industry_choices, single_line

# Numeric(14, 2): the largest budget the column holds.
MAX_BUDGET = Decimal("999999999999.99")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Translated fields: (name, label, the longest text, multi-line). zh and en are required for
# names, the staff UI's languages; de and fr fall back to English on the public page.
TRANSLATED = (
    ("name", _l("Name"), 200),
    ("city", _l("City"), 120),
    ("venue", _l("Venue"), 200),
    ("booth", _l("Booth"), 200),
    ("summary", _l("What we offer visitors"), 2000),
)
REQUIRED_NAMES = ("zh", "en")
# The event's own columns the form edits; the audit trail and conflicts use these names.
EVENT_FIELDS = (
    *(name for name, _label, _max in TRANSLATED),
    "starts_on",
    "ends_on",
    "target_industries",
    "staff",
    "owner_id",
    "budget",
    "notes",
    "published",
)


class CheckboxList(SelectMultipleField):
    """A group of checkboxes (easier to use than a multi-select, on a phone and by keyboard)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EventForm(Form):
    slug = StringField(
        _l("Web address (slug)"),
        validators=[
            DataRequired(_l("Enter the slug, e.g. eu-china-fair-2027.")),
            Length(max=80, message=TOO_LONG),
        ],
    )
    starts_on = DateField(
        _l("First day"), validators=[DataRequired(_l("Enter the first day as a date."))]
    )
    ends_on = DateField(
        _l("Last day"), validators=[DataRequired(_l("Enter the last day as a date."))]
    )
    target_industries = CheckboxList(_l("Target industries"), validate_choice=True)
    staff = CheckboxList(_l("Staff attending"), coerce=int, validate_choice=True)
    owner_id = SelectField(_l("Owner of the leads captured there"), validators=[Optional()])
    budget = StringField(
        _l("Budget (CNY)"), validators=[Length(max=30, message=TOO_LONG), amount_field(MAX_BUDGET)]
    )
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000, message=TOO_LONG)])
    published = BooleanField(_l("Published on the public site"))
    version = HiddenField()
    # The values the form was opened with, to show what someone else changed meanwhile.
    original = HiddenField()

    def fill_choices(self, event: Event | None) -> None:
        # Without the list's "choose one" placeholder: here nothing chosen is a fine answer.
        industries = [c for c in lead_industry_choices() if c.value]
        for code in (event.target_industries if event else []) or []:
            if code not in {c.value for c in industries}:
                industries.append(SelectChoice(code, code))
        self.target_industries.choices = industries
        users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
        people = [(u.id, u.name) for u in users]
        # Someone deactivated since stays listed while still on the event.
        keep = (event.staff + ([event.owner] if event.owner else [])) if event else []
        for user in keep:
            if user.id not in {i for i, _ in people}:
                people.append((user.id, user.name))
        self.staff.choices = [SelectChoice(i, name) for i, name in people]
        self.owner_id.choices = [
            SelectChoice("", _l("The staff member who captures each lead")),
            *(SelectChoice(str(i), name) for i, name in people),
        ]

    def validate_slug(self, field) -> None:
        field.data = (field.data or "").strip().lower()
        if not SLUG.match(field.data):
            raise ValidationError(_l("Use lower-case letters, digits and hyphens only."))

    def validate_ends_on(self, field) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day must not be before the first day."))

    def values(self) -> dict:
        """The submitted values, typed as the Event model holds them."""
        values = {
            name: {
                lang: getattr(self, f"{name}_{lang}").data.strip()
                for lang in PUBLIC_LANGUAGES
                if (getattr(self, f"{name}_{lang}").data or "").strip()
            }
            for name, _label, _max in TRANSLATED
        }
        values.update(
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            target_industries=list(self.target_industries.data or []),
            staff=sorted(self.staff.data or []),
            owner_id=int(self.owner_id.data) if self.owner_id.data else None,
            budget=self.budget.amount,
            notes=(self.notes.data or "").strip(),
            published=bool(self.published.data),
        )
        return values


def _translated_field(name: str, label, longest: int, lang: str):
    language = LANGUAGES[lang]["name"]
    validators = [Length(max=longest, message=TOO_LONG)]
    if name == "name" and lang in REQUIRED_NAMES:
        validators.insert(0, DataRequired(_l("Enter the event's name in this language.")))
    else:
        validators.insert(0, Optional())
    if name == "summary":
        return TextAreaField(
            _l("%(field)s (%(language)s)", field=label, language=language), validators=validators
        )
    return StringField(
        _l("%(field)s (%(language)s)", field=label, language=language),
        validators=[*validators, single_line],
    )


# One field per translated value and public language: name_zh, name_en, … summary_fr.
for _name, _label, _max in TRANSLATED:
    for _lang in PUBLIC_LANGUAGES:
        setattr(EventForm, f"{_name}_{_lang}", _translated_field(_name, _label, _max, _lang))


def slug_taken(slug: str, event: Event | None) -> bool:
    other = db.session.scalar(select(Event.id).where(Event.slug == slug))
    return other is not None and (event is None or other != event.id)
