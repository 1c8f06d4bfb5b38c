"""The inquiry form's field labels."""

from flask_babel import lazy_gettext as _l

# Shown on the form and in the bureau's notification, so one wording for both.
LABELS = {
    "name": _l("Your name"),
    "company": _l("Company"),
    "country": _l("Country or region"),
    "email": _l("Email address"),
    "phone": _l("Phone number"),
    "industry": _l("Industry"),
    "investment": _l("Planned investment"),
    "land_need": _l("Land needed"),
    "language": _l("Preferred language for our reply"),
    "message": _l("Your project and your questions"),
}
