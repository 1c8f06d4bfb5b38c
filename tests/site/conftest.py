"""What tests of the public site share: the page cache switched on, and cookie-less visitors."""

import pytest
from flask import template_rendered

from public_site import page_cache


@pytest.fixture
def cached(app, monkeypatch):
    """The app with the cache on and empty; yields the list of page templates rendered."""
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 60)
    monkeypatch.setitem(app.extensions, "page_cache", page_cache.LRU(page_cache.MAX_PAGES))
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    template_rendered.connect(record, app)
    yield rendered
    template_rendered.disconnect(record, app)


@pytest.fixture
def visitor(app):
    """A client that keeps no cookies, like a first visit each time."""
    return app.test_client(use_cookies=False)
