"""Leads in the CRM: the filtered list and its exports, the lead file, merges, reserved plots."""

from crm.leads import detail, export, listing, merge, plots  # noqa: F401  (registers the views)
