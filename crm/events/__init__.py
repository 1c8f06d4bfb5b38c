"""Trade fairs and presentations in the CRM: the list, the event page and form, the results."""

from crm.events import results, views  # noqa: F401  (registers the views)
