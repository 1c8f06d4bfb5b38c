"""The inquiry form's field labels, and the same fields as the bureau's staff read them."""

from flask_babel import lazy_gettext as _l

# Shown on the form and in the investor's confirmation.
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

# The bureau's notification is read by staff, not by the investor: "Name", not "Your name".
STAFF_LABELS = {**LABELS, "name": _l("Name")}
