"""Leads in the CRM: the filtered list and its exports, the lead file, duplicates and merging."""

from crm.leads import detail, export, listing, merge  # noqa: F401  (registers the views)
