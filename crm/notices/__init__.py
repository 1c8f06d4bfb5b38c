"""Notifications in the CRM: the list of what concerns the signed-in person (read, unread, the
record each is about) and their choice, per kind, of hearing it by e-mail as well."""

from flask import Blueprint

bp = Blueprint("notices", __name__, template_folder="templates")

from crm.notices import views  # noqa: E402,F401  (registers the views)
