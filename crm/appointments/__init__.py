"""Visits and meetings on the calendar: scheduling on a lead, moving, cancelling, the outcome; the
week view and each staff member's calendar feed."""

from flask import Blueprint

bp = Blueprint("appointments", __name__, template_folder="templates")

from crm.appointments import calendar, views  # noqa: E402,F401  (registers the views)
