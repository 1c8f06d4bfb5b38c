"""The enterprise form (names, industry, plots, figures, public summary) and the contact form."""

import re
from datetime import date

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from core.choices import industry_name, language_choices
from core.content import get_content
from core.extensions import db
from core.forms import Form
from core.i18n import LANGUAGES, PUBLIC_LANGUAGES, translated
from core.models import ZONES, Enterprise, Plot
from crm.events.forms import SLUG, CheckboxList
from crm.leads.forms import TOO_LONG, contact_name_field, phone_field, single_line

# The first year an enterprise can have come to the park (it was founded in the 1990s).
FIRST_YEAR = 1990
# Far above any firm in the county; keeps typing slips (an extra zero or two) out of the figures.
MAX_PEOPLE = 1_000_000
SUMMARY_MAX = 300
# The enterprise's own columns the form edits; the audit trail and conflicts use these names.
ENTERPRISE_FIELDS = (
    "name",
    "name_latin",
    "industry",
    "zone",
    "year_entered",
    "employees",
    "local_hires",
    "plots",
    "summary",
    "listed",
)
CONTACT_FIELDS = ("name", "email", "phone", "position", "language", "active")


def industry_choices(current: str | None = None) -> list[SelectChoice]:
    """The park's target industries (the public page names them); a stored other code stays."""
    codes = [item["code"] for item in get_content().site["industries"]]
    if current and current not in codes:
        codes.append(current)
    return [SelectChoice("", gettext("Choose an industry"))] + [
        SelectChoice(code, industry_name(code)) for code in codes
    ]


def zone_name(code: str) -> str:
    for item in get_content().site["zones"]:
        if item["code"] == code:
            return translated(item["name"])
    return code


def whole_number(low: int, high=None):
    """An optional whole number in [low, high]; high may be a callable (this year). Sets .number."""

    def check(form, field) -> None:
        top = high() if callable(high) else high
        text = (field.data or "").strip().replace(",", "").replace(" ", "")
        field.number = None
        if not text:
            return
        if not re.fullmatch(r"\d{1,9}", text) or not low <= int(text) <= top:
            raise ValidationError(
                gettext("Enter a whole number from %(min)s to %(max)s.", min=low, max=top)
            )
        field.number = int(text)

    return check


def this_year() -> int:
    return date.today().year


def _summary_field(lang: str) -> TextAreaField:
    return TextAreaField(
        _l(
            "%(field)s (%(language)s)",
            field=_l("Summary for the public page"),
            language=LANGUAGES[lang]["name"],
        ),
        validators=[Optional(), Length(max=SUMMARY_MAX, message=TOO_LONG)],
    )


class EnterpriseForm(Form):
    name = StringField(
        _l("Name in Chinese (as registered)"),
        validators=[
            DataRequired(_l("Enter the enterprise's registered name.")),
            single_line,
            Length(max=200, message=TOO_LONG),
        ],
    )
    name_latin = StringField(
        _l("Name in Latin letters"),
        validators=[Optional(), single_line, Length(max=200, message=TOO_LONG)],
    )
    slug = StringField(
        _l("Web address (slug)"),
        validators=[
            DataRequired(_l("Enter the slug, e.g. tianfu-precision.")),
            Length(max=80, message=TOO_LONG),
        ],
    )
    industry = SelectField(_l("Industry"), validators=[DataRequired(_l("Choose an industry."))])
    zone = SelectField(_l("Area of the park"), validators=[DataRequired()])
    year_entered = StringField(
        _l("Year it came to the park"),
        validators=[
            DataRequired(_l("Enter the year the enterprise came to the park.")),
            whole_number(FIRST_YEAR, this_year),
        ],
    )
    employees = StringField(
        _l("Employees"), validators=[Length(max=20, message=TOO_LONG), whole_number(0, MAX_PEOPLE)]
    )
    local_hires = StringField(
        _l("Local hires (relocated farmers employed)"),
        validators=[Length(max=20, message=TOO_LONG), whole_number(0, MAX_PEOPLE)],
    )
    plots = CheckboxList(_l("Plots"), validate_choice=True)
    summary_zh = _summary_field("zh")
    summary_en = _summary_field("en")
    summary_de = _summary_field("de")
    summary_fr = _summary_field("fr")
    listed = BooleanField(_l("Agrees to be listed on the public site"))
    version = HiddenField()
    # The values the form was opened with, to show what someone else changed meanwhile.
    original = HiddenField()

    def fill_choices(self, enterprise: Enterprise | None) -> None:
        self.industry.choices = industry_choices(enterprise.industry if enterprise else None)
        self.zone.choices = [SelectChoice(code, zone_name(code)) for code in ZONES]
        codes = list(db.session.scalars(select(Plot.code).order_by(Plot.code)))
        self.plots.choices = [SelectChoice(code, code) for code in codes]

    def validate_slug(self, field) -> None:
        field.data = (field.data or "").strip().lower()
        if not SLUG.match(field.data):
            raise ValidationError(_l("Use lower-case letters, digits and hyphens only."))

    def validate_local_hires(self, field) -> None:
        hires, staff = getattr(field, "number", None), getattr(self.employees, "number", None)
        if hires is not None and staff is not None and hires > staff:
            raise ValidationError(_l("Local hires cannot be more than the employees."))

    def values(self) -> dict:
        """The submitted values, typed as the Enterprise model holds them (plots as codes)."""
        return {
            "name": self.name.data.strip(),
            "name_latin": (self.name_latin.data or "").strip(),
            "industry": self.industry.data,
            "zone": self.zone.data,
            "year_entered": self.year_entered.number,
            "employees": self.employees.number,
            "local_hires": self.local_hires.number,
            "plots": sorted(self.plots.data or []),
            "summary": {
                lang: text
                for lang in PUBLIC_LANGUAGES
                if (text := (getattr(self, f"summary_{lang}").data or "").strip())
            },
            "listed": bool(self.listed.data),
        }


def slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Enterprise.id).where(Enterprise.slug == slug)) is not None


class ContactForm(Form):
    name = contact_name_field(_l("Name"))
    email = StringField(
        _l("Email"),
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        validators=[
            DataRequired(_l("Enter the contact's email address: sign-in links are sent there.")),
            single_line,
            Length(max=254, message=TOO_LONG),
            Email(_l("Enter an email address like name@example.com.")),
        ],
    )
    phone = phone_field()
    position = StringField(
        _l("Position"), validators=[Optional(), single_line, Length(max=120, message=TOO_LONG)]
    )
    language = SelectField(_l("Language of the portal and its emails"), validators=[DataRequired()])
    active = BooleanField(_l("Active: may sign in to the portal"))
    # Contacts carry no version column: the values the form was opened with stand in for one.
    original = HiddenField()

    def fill_choices(self) -> None:
        self.language.choices = language_choices()
