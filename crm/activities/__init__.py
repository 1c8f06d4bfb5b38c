"""Activities and follow-up: calls, meetings, tasks, My day, digests and emails from the CRM."""

from crm.activities import digest, emails, my_day, views  # noqa: F401  (registers the views)
