"""The booth capture form: one visitor's card, typed in a minute on a phone."""

import re
import uuid
from datetime import UTC, datetime, timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import FileField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core.choices import OTHER_INDUSTRY, country_choices
from core.forms import Form
from core.models import LEAD_RATINGS
from core.models.base import utcnow
from crm.leads.forms import (
    TOO_LONG,
    check_phone,
    contact_name_field,
    email_field,
    lead_industry_choices,
    phone_field,
    single_line,
)

RATING_LABELS = {"hot": _l("Hot"), "warm": _l("Warm"), "cold": _l("Cold")}
# A phone's clock may run a little fast; a queue may wait a while, but not longer than a fair.
CLOCK_SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(days=30)
MAX_TAGS, MAX_TAG_LENGTH = 20, 40
# Staff type tags with Latin or Chinese punctuation.
TAG_SEPARATORS = re.compile(r"[,，、;；]")


def parse_tags(text: str | None) -> list[str]:
    """'fair, 德国 ，fair' -> ['fair', '德国']: trimmed, without repeats, in typed order."""
    tags: list[str] = []
    for part in TAG_SEPARATORS.split(text or ""):
        tag = " ".join(part.split())
        if tag and tag.casefold() not in {t.casefold() for t in tags}:
            tags.append(tag)
    return tags


def parse_captured_at(text: str | None, now: datetime | None = None) -> datetime:
    """The device's time of capture, or now if missing, unreadable or implausible."""
    now = now or utcnow()
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment > now + CLOCK_SKEW or moment < now - MAX_AGE:
        return now
    return moment


def language_for(country: str) -> str:
    """The correspondence language a booth contact most likely reads (staff can change it)."""
    if country in ("CN", "TW", "HK", "MO", "SG"):
        return "zh"
    if country in ("DE", "AT", "LI"):
        return "de"
    if country in ("FR", "MC", "LU"):
        return "fr"
    return "en"


class CaptureForm(Form):
    event_id = SelectField(_l("Event"), coerce=int, validators=[DataRequired()])
    company_name = StringField(
        _l("Company"),
        validators=[
            DataRequired(_l("Enter the company's name.")),
            single_line,
            Length(max=200, message=TOO_LONG),
        ],
    )
    contact_name = contact_name_field(_l("Contact name"))
    email = email_field()
    phone = phone_field()
    country = SelectField(
        _l("Country or region"), validators=[DataRequired(_l("Choose a country or region."))]
    )
    industry = SelectField(_l("Industry"), validators=[Optional()])
    interest = StringField(
        _l("Interest"), validators=[Optional(), single_line, Length(max=200, message=TOO_LONG)]
    )
    rating = RadioField(
        _l("Rating"),
        choices=[SelectChoice(r, RATING_LABELS[r]) for r in LEAD_RATINGS],
        default="warm",
        validators=[DataRequired(_l("Choose how warm the contact is."))],
    )
    tags = StringField(
        _l("Tags"), validators=[Optional(), single_line, Length(max=400, message=TOO_LONG)]
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000, message=TOO_LONG)])
    card_photo = FileField(_l("Photo of the business card"))
    # Made on the device (or in this page for a send without JavaScript): the entry's identity.
    capture_key = HiddenField(validators=[DataRequired()])
    captured_at = HiddenField()

    def fill_choices(self, events, lang: str) -> None:
        self.event_id.choices = [SelectChoice(e.id, e.text("name", lang)) for e in events]
        self.country.choices = country_choices()
        self.industry.choices = lead_industry_choices()

    def validate_capture_key(self, field) -> None:
        try:
            field.data = str(uuid.UUID(field.data or ""))
        except ValueError:
            raise ValidationError(_l("This entry has no valid key; reload the page.")) from None

    def validate_tags(self, field) -> None:
        tags = parse_tags(field.data)
        if len(tags) > MAX_TAGS:
            raise ValidationError(_l("Use at most %(num)d tags.", num=MAX_TAGS))
        if any(len(t) > MAX_TAG_LENGTH for t in tags):
            raise ValidationError(
                _l("Keep each tag to %(max)d characters or fewer.", max=MAX_TAG_LENGTH)
            )

    def check_reachable(self) -> bool:
        """An email or a phone (valid, stored as E.164); False with an error otherwise."""
        self.phone.e164 = None
        if not (self.email.data or "").strip() and not (self.phone.data or "").strip():
            self.email.errors = [
                *self.email.errors,
                gettext("Enter an email address or a phone number."),
            ]
            return False
        return check_phone(self.phone, self.country.data)

    def lead_values(self) -> dict:
        return {
            "company_name": self.company_name.data.strip(),
            "country": self.country.data,
            "industry": self.industry.data or OTHER_INDUSTRY,
            "language": language_for(self.country.data),
            "rating": self.rating.data,
            "tags": parse_tags(self.tags.data),
            "event_id": self.event_id.data,
        }

    def contact_values(self) -> dict:
        return {
            "name": self.contact_name.data.strip(),
            "email": (self.email.data or "").strip().lower() or None,
            "phone": self.phone.e164,
            "language": language_for(self.country.data),
        }
