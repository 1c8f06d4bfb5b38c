"""The targets dashboard: targets against actuals, deadlines, risks, the funnel; XLSX and print."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, template_folder="templates")

from crm.dashboard import export, views  # noqa: E402,F401  (registers the views)
