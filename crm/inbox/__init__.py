"""Mail triage: received mail no lead claimed (and mail that could not be read) waits here until a
person attaches it to a lead or creates a lead from it."""

from flask import Blueprint

bp = Blueprint("inbox", __name__, template_folder="templates")

from crm.inbox import views  # noqa: E402,F401  (registers the views)
