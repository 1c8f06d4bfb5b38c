"""The public inquiry form: views, form, spam defence, and the service that stores a lead."""

from public_site.inquiry import views  # noqa: F401  (registers the routes on the site blueprint)
