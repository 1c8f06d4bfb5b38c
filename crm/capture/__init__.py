"""Booth capture at fairs: a phone form that keeps entries offline, and the files it brings."""

from crm.capture import files, views  # noqa: F401  (registers the views)
