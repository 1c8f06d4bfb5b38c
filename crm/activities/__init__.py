"""Activities and follow-up: calls, meetings, tasks, My day, digests and emails from the CRM."""

from flask import Blueprint

bp = Blueprint(
    "activities",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/activities",
)

from crm.activities import digest, emails, my_day, views  # noqa: E402,F401  (registers the views)
