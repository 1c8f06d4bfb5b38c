"""Enterprises in the park, in the CRM: the list, an enterprise's page and form, its contacts."""

from flask import Blueprint

bp = Blueprint("enterprises", __name__, template_folder="templates")

from crm.enterprises import contacts, views  # noqa: E402,F401  (registers the views)
