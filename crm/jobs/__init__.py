"""The job queue for admins: what waits, imports running or failed, the last run of each periodic
job; retry a failed import, run a periodic job now."""

from flask import Blueprint

bp = Blueprint("jobs", __name__, template_folder="templates")

from crm.jobs import views  # noqa: E402,F401  (registers the views)
