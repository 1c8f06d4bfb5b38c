"""Forms of the lead file: the lead's details, a contact, a manual lead, and merge choices."""

from decimal import Decimal, InvalidOperation

import phonenumbers
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from core.choices import country_choices, industry_choices
from core.extensions import db
from core.forms import Form
from core.i18n import LANGUAGES, current_language
from core.models import ListItem

TOO_LONG = _l("Use %(max)d characters or fewer (you entered %(length)d).")
# Numeric(16, 2) and Numeric(10, 2): the largest amounts the columns hold.
MAX_INVESTMENT = Decimal("99999999999999.99")
MAX_MU = Decimal("99999999.99")
MANUAL_SOURCES = ("manual", "event", "referral")
SOURCE_LABELS = {
    "website": _l("Website inquiry"),
    "event": _l("Event or fair"),
    "referral": _l("Referral"),
    "import": _l("Import"),
    "manual": _l("Entered by staff"),
}
# The lead's fields this form edits, in page order; the audit trail and conflicts use the names.
LEAD_FIELDS = (
    "company_name",
    "company_name_latin",
    "country",
    "industry",
    "language",
    "planned_investment",
    "land_need_min_mu",
    "land_need_max_mu",
)
CONTACT_FIELDS = ("name", "email", "phone", "mobile", "wechat_id", "language", "position")
# WeChat's own rule for an ID (6 to 20 letters, digits, _ or -), starting with a letter or, for
# old accounts, a digit.
WECHAT_ID = r"^[A-Za-z0-9][-_A-Za-z0-9]{5,19}$"


def single_line(form, field) -> None:
    if field.data and any(c in field.data for c in "\r\n\x00"):
        raise ValidationError(_l("Use a single line, without line breaks."))


# Chinese staff say amounts in 万 and 亿: "8000万", "1.5亿元" are figures too.
CHINESE_UNITS = {"亿": Decimal(10) ** 8, "万": Decimal(10) ** 4}


def parse_amount(text: str | None, ceiling: Decimal) -> Decimal | None:
    """'80,000,000', '80000000.5', '8000万' or '0.8亿元' -> Decimal (yuan); None when empty;
    ValueError when not a figure."""
    cleaned = (text or "").replace(",", "").replace(" ", "").replace("\u00a0", "")
    cleaned = cleaned.replace("，", "").removesuffix("元")
    if not cleaned:
        return None
    factor = CHINESE_UNITS.get(cleaned[-1], 1)
    figure = cleaned[:-1] if factor != 1 else cleaned
    try:
        value = Decimal(figure) * factor
    except InvalidOperation:
        raise ValueError(cleaned) from None
    if (
        not value.is_finite()
        or value < 0
        or value > ceiling
        or value.normalize().as_tuple().exponent < -2
    ):
        raise ValueError(cleaned)
    return value.quantize(Decimal("0.01"))


def amount_field(ceiling: Decimal):
    def check(form, field) -> None:
        try:
            field.amount = parse_amount(field.data, ceiling)
        except ValueError:
            raise ValidationError(
                _l("Enter a positive amount in figures, at most two decimals, e.g. 80000000.")
            ) from None

    return check


def language_choices() -> list[SelectChoice]:
    return [SelectChoice(code, info["name"]) for code, info in LANGUAGES.items()]


def lead_industry_choices(current: str | None = None) -> list:
    """The public form's industries, the admin's list, and the lead's own value if not in them."""
    choices = list(industry_choices())
    known = {c.value for c in choices}
    for item in db.session.scalars(
        select(ListItem).where(ListItem.kind == "industry", ListItem.active.is_(True))
    ):
        if item.code not in known:
            choices.append(SelectChoice(item.code, item.label(current_language())))
            known.add(item.code)
    if current and current not in known:
        choices.append(SelectChoice(current, current))
    return choices


class LeadFieldsMixin:
    company_name = StringField(
        _l("Company name (Chinese or as registered)"),
        validators=[
            DataRequired(_l("Enter the company's name.")),
            single_line,
            Length(max=200, message=TOO_LONG),
        ],
    )
    company_name_latin = StringField(
        _l("Company name in Latin letters"),
        validators=[Optional(), single_line, Length(max=200, message=TOO_LONG)],
    )
    country = SelectField(_l("Country or region"), validators=[DataRequired()])
    industry = SelectField(_l("Industry"), validators=[DataRequired()])
    language = SelectField(_l("Language for correspondence"), validators=[DataRequired()])
    planned_investment = StringField(
        _l("Planned investment (CNY)"),
        validators=[Length(max=30, message=TOO_LONG), amount_field(MAX_INVESTMENT)],
    )
    land_need_min_mu = StringField(
        _l("Land need from (mu)"),
        validators=[Length(max=20, message=TOO_LONG), amount_field(MAX_MU)],
    )
    land_need_max_mu = StringField(
        _l("Land need up to (mu)"),
        validators=[Length(max=20, message=TOO_LONG), amount_field(MAX_MU)],
    )

    def fill_choices(self, current_industry: str | None = None) -> None:
        self.country.choices = country_choices()
        self.industry.choices = lead_industry_choices(current_industry)
        self.language.choices = language_choices()

    def validate_land_need_max_mu(self, field) -> None:
        low = getattr(self.land_need_min_mu, "amount", None)
        high = getattr(field, "amount", None)
        if low is not None and high is not None and high < low:
            raise ValidationError(_l("The upper bound must not be below the lower bound."))

    def lead_values(self) -> dict:
        """The submitted values, typed as the Lead model holds them."""
        return {
            "company_name": self.company_name.data.strip(),
            "company_name_latin": (self.company_name_latin.data or "").strip() or None,
            "country": self.country.data,
            "industry": self.industry.data,
            "language": self.language.data,
            "planned_investment": self.planned_investment.amount,
            "land_need_min_mu": self.land_need_min_mu.amount,
            "land_need_max_mu": self.land_need_max_mu.amount,
        }


class LeadForm(LeadFieldsMixin, Form):
    legal_hold = BooleanField(_l("Legal hold: never anonymise or delete this lead"))
    confidential = BooleanField(
        _l("Confidential: only managers, the owner and the liaison leader see the company's name")
    )
    version = HiddenField()
    # The values the form was opened with, to show what someone else changed meanwhile.
    original = HiddenField()


def check_phone(field, country: str | None) -> bool:
    """Phone to E.164 (field.e164) with the country as the hint; False with an error if invalid."""
    field.e164 = None
    if not field.data:
        return True
    region = country if country in phonenumbers.SUPPORTED_REGIONS else None
    try:
        number = phonenumbers.parse(field.data, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        field.errors = [
            *field.errors,
            gettext("Enter a valid phone number, with its country code if abroad."),
        ]
        return False
    field.e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return True


def contact_name_field(label) -> StringField:
    """A contact's name, as every staff form asks for it (lead, contact, booth capture)."""
    return StringField(
        label,
        validators=[
            DataRequired(_l("Enter the contact's name.")),
            single_line,
            Length(max=200, message=TOO_LONG),
        ],
    )


def email_field() -> StringField:
    return StringField(
        _l("Email"),
        validators=[
            Optional(),
            single_line,
            Length(max=254, message=TOO_LONG),
            Email(_l("Enter an email address like name@example.com.")),
        ],
    )


def phone_field() -> StringField:
    return StringField(
        _l("Phone"), validators=[Optional(), single_line, Length(max=40, message=TOO_LONG)]
    )


class ContactFieldsMixin:
    name = contact_name_field(_l("Name"))
    email = email_field()
    phone = phone_field()
    mobile = StringField(
        _l("Mobile"), validators=[Optional(), single_line, Length(max=40, message=TOO_LONG)]
    )
    wechat_id = StringField(
        _l("WeChat ID"),
        validators=[
            Optional(),
            Regexp(
                WECHAT_ID,
                message=_l("A WeChat ID has 6 to 20 letters, digits, _ or -, like wxid_li2024."),
            ),
        ],
    )
    contact_language = SelectField(_l("Contact's language"), validators=[DataRequired()])
    position = StringField(
        _l("Position"), validators=[Optional(), single_line, Length(max=120, message=TOO_LONG)]
    )

    def check_phone(self, country: str | None) -> bool:
        """Both numbers checked, so both errors show at once."""
        phone_ok = check_phone(self.phone, country)
        return check_phone(self.mobile, country) and phone_ok

    def contact_values(self) -> dict:
        return {
            "name": self.name.data.strip(),
            "email": (self.email.data or "").strip().lower() or None,
            "phone": self.phone.e164,
            "mobile": self.mobile.e164,
            "wechat_id": (self.wechat_id.data or "").strip() or None,
            "language": self.contact_language.data,
            "position": (self.position.data or "").strip() or None,
        }


class ContactForm(ContactFieldsMixin, Form):
    # Contacts carry no version column: the values the form was opened with stand in for one.
    original = HiddenField()


class NewLeadForm(LeadFieldsMixin, ContactFieldsMixin, Form):
    source = SelectField(
        _l("Source"),
        choices=[SelectChoice(s, SOURCE_LABELS[s]) for s in MANUAL_SOURCES],
        default="manual",
    )


class MergeForm(Form):
    # Both leads' versions: a merge against a lead someone changed meanwhile is refused.
    version = HiddenField()
    other_version = HiddenField()


class DismissForm(Form):
    pass
