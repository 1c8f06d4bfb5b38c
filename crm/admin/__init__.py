"""Administration: users and teams, settings, lists and assignment rules."""

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates")

from crm.admin import lists, settings, users  # noqa: E402,F401  (registers the views)
