"""What CRM tests share: the cast of staff, working in English."""

import pytest

from tests.factories import english_cast


@pytest.fixture
def cast(app):
    """The cast, working in English (labels and messages can be named in assertions); a test
    module that needs another cast defines its own."""
    with app.app_context():
        return english_cast()
