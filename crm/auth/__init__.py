"""Staff accounts: signing in and out, the second factor, password reset, one's own account."""

from flask import Blueprint

bp = Blueprint(
    "auth",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/auth",
)

from crm.auth import account, password_reset, signin  # noqa: E402,F401  (registers the views)
