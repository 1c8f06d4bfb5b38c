"""Personal data on request in the CRM: export everything about a person, anonymise."""

from flask import Blueprint

bp = Blueprint("privacy", __name__, template_folder="templates")

from crm.privacy import views  # noqa: E402,F401  (registers the views)
