"""Bulk import of leads from CSV or Excel: upload, mapping, decisions, run, report, undo."""

from flask import Blueprint

bp = Blueprint("imports", __name__, template_folder="templates")

from crm.imports import jobs, pointing, review, upload  # noqa: E402,F401  (registers the views)
