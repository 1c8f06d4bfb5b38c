"""The CRM's entry point: each role's start page and the staff language choice."""

from flask import Blueprint

bp = Blueprint("home", __name__)

from crm.home import views  # noqa: E402,F401  (registers the views)
