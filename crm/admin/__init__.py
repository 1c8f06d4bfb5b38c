"""Administration: users and teams, settings, lists and assignment rules."""

from crm.admin import lists, settings, users  # noqa: F401  (registers the views)
