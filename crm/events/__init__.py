"""Trade fairs and presentations in the CRM: the list, the event page and form, the results."""

from flask import Blueprint

bp = Blueprint("events", __name__, template_folder="templates")

from crm.events import results, views  # noqa: E402,F401  (registers the views)
