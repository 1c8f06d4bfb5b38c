"""Leads in the CRM: the filtered list, its exports and bulk actions, the lead file, merges,
reserved plots."""

from flask import Blueprint

bp = Blueprint(
    "leads",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/leads",
)

from crm.leads import (  # noqa: E402,F401  (registers the views)
    aliases,
    audit_trail,
    bulk,
    columns,
    detail,
    export,
    listing,
    merge,
    plots,
)
