"""The enterprise portal: contacts of park firms sign in by email link and refer other firms."""

from public_site.portal import auth, views  # noqa: F401  (registers the views)
