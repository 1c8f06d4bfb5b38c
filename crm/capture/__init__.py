"""Booth capture at fairs: a phone form that keeps entries offline, and the files it brings."""

from flask import Blueprint

bp = Blueprint(
    "capture",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/capture",
)

from crm.capture import files, views  # noqa: E402,F401  (registers the views)
