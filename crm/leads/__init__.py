"""Leads in the CRM: the filtered list and its exports, the lead file, merges, reserved plots."""

from flask import Blueprint

bp = Blueprint("leads", __name__, template_folder="templates")

from crm.leads import aliases, detail, export, listing, merge, plots  # noqa: E402,F401  (registers the views)
