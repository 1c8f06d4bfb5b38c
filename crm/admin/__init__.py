"""Administration: users and teams, settings, lists and assignment rules."""
