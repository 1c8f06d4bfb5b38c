"""Referrals from enterprises in the park: the queue, the bureau's decisions, the leaderboard."""

from crm.referrals import leaderboard, views  # noqa: F401  (registers the views)
