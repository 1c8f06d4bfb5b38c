"""Enterprises in the park, in the CRM: the list, an enterprise's page and form, its contacts."""

from crm.enterprises import contacts, views  # noqa: F401  (registers the views)
