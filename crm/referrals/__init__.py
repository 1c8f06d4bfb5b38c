"""Referrals from enterprises in the park: the queue, the bureau's decisions, the leaderboard."""

from flask import Blueprint

bp = Blueprint("referrals", __name__, template_folder="templates")

from crm.referrals import leaderboard, views  # noqa: E402,F401  (registers the views)
