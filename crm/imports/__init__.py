"""Bulk import of leads from CSV or Excel: upload, mapping, decisions, run, report, undo."""

from crm.imports import jobs, review, upload  # noqa: F401  (registers the views)
