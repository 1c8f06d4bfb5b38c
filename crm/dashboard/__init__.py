"""The targets dashboard: targets against actuals, deadlines, risks, the funnel; XLSX and print."""

from crm.dashboard import export, views  # noqa: F401  (registers the views)
