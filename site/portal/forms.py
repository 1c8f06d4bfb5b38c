"""The portal's forms: asking for a sign-in link, and referring a firm to the bureau."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from core import choices
from core.forms import Form
from public_site.inquiry.forms import TOO_LONG, no_control_characters, single_line, valid_phone

# The wording the referrer confirms; its hash is stored with the referral (PIPL separate consent).
CONSENT_LEGEND = _l("The contact person's consent")
CONSENT_LABEL = _l(
    "The contact person agreed that we pass their details in this form to the investment bureau "
    "of the park, and that the bureau contacts them about investing in the park."
)
CONSENT_HINT = _l(
    "Chinese law (PIPL) requires this separate consent before a person's details are shared. "
    "Please ask them first."
)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SignInForm(Form):
    email = StringField(
        _l("Email address"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your email address.")),
            single_line,
            Length(max=254, message=TOO_LONG),
            Email(_l("Enter an email address like name@example.com.")),
        ],
    )
    next = HiddenField()


class ReferralForm(Form):
    # Fields in page order, so the error summary lists problems in the order they are seen.
    company_name = StringField(
        _l("Company name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the name of the company you refer.")),
            single_line,
            Length(max=200, message=TOO_LONG),
        ],
    )
    company_name_latin = StringField(
        _l("Company name in Latin letters"),
        filters=[_strip],
        validators=[Optional(), single_line, Length(max=200, message=TOO_LONG)],
    )
    country = SelectField(
        _l("Country or region"),
        validators=[DataRequired(_l("Choose the company's country or region."))],
        invalid_choice_message=_l("Choose your country or region from the list."),
    )
    industry = SelectField(
        _l("Industry"),
        validators=[DataRequired(_l("Choose the company's industry, or “Other industry”."))],
        invalid_choice_message=_l("Choose your industry from the list."),
    )
    contact_name = StringField(
        _l("Contact person"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the name of the contact person.")),
            single_line,
            Length(max=200, message=TOO_LONG),
        ],
    )
    contact_email = StringField(
        _l("Their email address"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the contact person's email address.")),
            single_line,
            Length(max=254, message=TOO_LONG),
            Email(_l("Enter an email address like name@example.com.")),
        ],
    )
    contact_phone = StringField(
        _l("Their phone number"),
        filters=[_strip],
        validators=[Optional(), single_line, Length(max=40, message=TOO_LONG), valid_phone],
    )
    contact_position = StringField(
        _l("Their position"),
        filters=[_strip],
        validators=[Optional(), single_line, Length(max=120, message=TOO_LONG)],
    )
    contact_language = SelectField(
        _l("Language for the bureau to use with them"),
        validators=[DataRequired(_l("Choose one of the languages in the list."))],
        invalid_choice_message=_l("Choose one of the languages in the list."),
    )
    plans = TextAreaField(
        _l("What the firm plans"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Describe what the firm plans.")),
            Length(max=5000, message=TOO_LONG),
            no_control_characters,
        ],
    )
    how_known = TextAreaField(
        _l("How you know them"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Say how you know the firm.")),
            Length(max=2000, message=TOO_LONG),
            no_control_characters,
        ],
    )
    consent = BooleanField(
        CONSENT_LABEL,
        validators=[DataRequired(_l("Tick this box to confirm that the contact person agreed."))],
    )
    # One key per rendered form: the same form sent twice stores one referral.
    submission_key = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Option labels follow the page's language, so they are built per request.
        self.country.choices = choices.country_choices()
        self.industry.choices = choices.industry_choices()
        self.contact_language.choices = choices.language_choices()

    @property
    def phone_e164(self) -> str | None:
        return getattr(self.contact_phone, "e164", None) if self.contact_phone.data else None

    def referral_data(self) -> dict:
        """The Referral columns, as core.referrals.submit takes them."""
        return {
            "company_name": self.company_name.data,
            "company_name_latin": self.company_name_latin.data or None,
            "country": self.country.data,
            "industry": self.industry.data,
            "contact_name": self.contact_name.data,
            "contact_email": self.contact_email.data,
            "contact_phone": self.phone_e164,
            "contact_position": self.contact_position.data or None,
            "contact_language": self.contact_language.data,
            "plans": self.plans.data,
            "how_known": self.how_known.data,
            "submission_key": self.submission_key.data,
        }
