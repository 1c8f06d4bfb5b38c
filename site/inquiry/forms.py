"""The inquiry form: fields, limits and per-field checks, with messages in the page's language."""

import phonenumbers
from flask import g
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from core import choices
from core.forms import Form
from public_site.inquiry import wishes
from public_site.inquiry.labels import LABELS

CONSENT_LEGEND = _l("Your consent")
CONSENT_HINT = _l(
    "The privacy notice explains what we store, why, for how long, and your rights. "
    "You can withdraw your consent at any time by writing to us."
)
TOO_LONG = _l("Use %(max)d characters or fewer (you entered %(length)d).")


def single_line(form, field) -> None:
    """Line breaks in a name or address can smuggle extra mail headers: refuse them."""
    if field.data and any(c in field.data for c in "\r\n\x00"):
        raise ValidationError(_l("Use a single line, without line breaks."))


def no_control_characters(form, field) -> None:
    if field.data and any(ord(c) < 32 and c not in "\r\n\t" for c in field.data):
        raise ValidationError(_l("Remove the invisible control characters from this text."))


def valid_phone(form, field) -> None:
    """Any valid number; without a +country code, it is read as a number of the chosen country."""
    if not field.data:
        return
    region = form.country.data if form.country.data in phonenumbers.SUPPORTED_REGIONS else None
    try:
        number = phonenumbers.parse(field.data, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _l("Enter a phone number with its country code, for example +49 30 1234 5678.")
        )
    field.e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Mobile numbers as phonenumbers types them; a fixed line cannot receive a text message.
MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def mobile_number(form) -> str | None:
    """The phone field as an E.164 mobile number, else None (checked again by valid_phone)."""
    region = form.country.data if form.country.data in phonenumbers.SUPPORTED_REGIONS else "CN"
    try:
        number = phonenumbers.parse(form.phone.data or "", region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_or_mobile(form, field) -> None:
    """An email address is needed, except on the Chinese form, where a mobile number will do:
    many domestic investors reach the bureau by phone and WeChat, not by email."""
    if field.data:
        return
    if g.get("lang") != "zh":
        raise StopValidation(_l("Enter your email address."))
    if mobile_number(form) is None:
        raise StopValidation(_l("Enter your email address, or a mobile number in the phone field."))
    field.errors[:] = []
    raise StopValidation()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class InquiryForm(Form):
    # Fields in page order, so the error summary lists problems in the order the visitor sees them.
    name = StringField(
        LABELS["name"],
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your name.")),
            single_line,
            Length(max=200, message=TOO_LONG),
        ],
    )
    email = StringField(
        LABELS["email"],
        filters=[_strip],
        validators=[
            email_or_mobile,
            single_line,
            Length(max=254, message=TOO_LONG),
            Email(_l("Enter an email address like name@example.com.")),
        ],
    )
    phone = StringField(
        LABELS["phone"],
        filters=[_strip],
        validators=[Optional(), single_line, Length(max=40, message=TOO_LONG), valid_phone],
    )
    language = SelectField(
        LABELS["language"],
        validators=[DataRequired(_l("Choose the language for our reply."))],
        invalid_choice_message=_l("Choose one of the languages in the list."),
    )
    company = StringField(
        LABELS["company"],
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the name of your company.")),
            single_line,
            Length(max=200, message=TOO_LONG),
        ],
    )
    country = SelectField(
        LABELS["country"],
        validators=[DataRequired(_l("Choose your country or region."))],
        invalid_choice_message=_l("Choose your country or region from the list."),
    )
    industry = SelectField(
        LABELS["industry"],
        validators=[DataRequired(_l("Choose your industry, or “Other industry”."))],
        invalid_choice_message=_l("Choose your industry from the list."),
    )
    investment = SelectField(
        LABELS["investment"], invalid_choice_message=_l("Choose an amount from the list.")
    )
    land_need = SelectField(
        LABELS["land_need"], invalid_choice_message=_l("Choose an area from the list.")
    )
    message = TextAreaField(
        LABELS["message"],
        validators=[Length(max=5000, message=TOO_LONG), no_control_characters],
    )
    # Only on an event's form, while the fair is to come: when the visitor would like to meet.
    meeting_days = SelectMultipleField(
        _l("Days that suit you"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # days no longer offered are dropped, not refused (wishes.collect)
    )
    meeting_time = SelectField(
        _l("Time of day"),
        validate_choice=False,
    )
    processing = BooleanField(
        _l(
            "I agree that the investment bureau stores and uses the details in this form "
            "to answer my inquiry."
        ),
        validators=[DataRequired(_l("Tick this box so that we may answer your inquiry."))],
    )
    marketing = BooleanField(
        _l("Also send me news about the park and invitations to events (optional).")
    )
    # Shown only on a referral link: PIPL's separate consent to share with the named enterprise.
    share = BooleanField("")
    # Spam trap: hidden by CSS, so only robots fill it in.
    website = StringField(_l("Leave this field empty"))
    form_token = HiddenField()
    plot = HiddenField()
    page = HiddenField()
    utm_source = HiddenField()
    utm_medium = HiddenField()
    utm_campaign = HiddenField()
    utm_term = HiddenField()
    utm_content = HiddenField()
    ref = HiddenField()
    # The slug of the event whose landing page the form was sent from (attribution).
    event = HiddenField()
    # A land search that found no plot (land page's query string), checked again when read.
    need = HiddenField()
    # The incentive estimator's signed inputs (public_site/estimator.py); figures are recomputed.
    estimate = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Option labels depend on the page's language and the content, so build them per request.
        self.country.choices = choices.country_choices()
        self.industry.choices = choices.industry_choices()
        self.investment.choices = choices.investment_choices()
        self.land_need.choices = choices.land_need_choices()
        self.language.choices = choices.language_choices()
        self.meeting_days.choices = []
        self.meeting_time.choices = wishes.meeting_time_choices()

    def offer_meeting(self, event) -> None:
        """Offer the fair's remaining days to choose from (none: the fields are not shown)."""
        self.meeting_days.choices = wishes.meeting_day_choices(event)

    @property
    def phone_e164(self) -> str | None:
        return getattr(self.phone, "e164", None) if self.phone.data else None

    def set_referrer(self, name: str | None) -> None:
        """Name the enterprise whose referral link brought the visitor in the sharing consent."""
        self.share.label.text = (
            _l(
                "Let %(enterprise)s, who recommended the park to me, know that I enquired "
                "and how my inquiry progresses (optional).",
                enterprise=name,
            )
            if name
            else ""
        )

    def consent_texts(self) -> dict[str, str]:
        """The consent wording exactly as shown on the page, for the consent record's hash."""
        texts = {
            "legend": str(CONSENT_LEGEND),
            "hint": str(CONSENT_HINT),
            "processing": str(self.processing.label.text),
            "marketing": str(self.marketing.label.text),
        }
        if self.share.label.text:
            texts["sharing"] = str(self.share.label.text)
        return texts
