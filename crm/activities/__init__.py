"""Activities and follow-up: calls, meetings, tasks, My day, digests and emails from the CRM."""
