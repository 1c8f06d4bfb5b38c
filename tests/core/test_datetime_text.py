"""The list's fast date-time filter says exactly what Flask-Babel's format_datetime says."""

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale, format_datetime

from core.i18n import datetime_text


@pytest.mark.parametrize("lang", ["zh", "en", "de", "fr"])
@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full", "yyyy-MM-dd HH:mm"])
def test_same_text_as_flask_babel(app, lang, fmt):
    moment = datetime(2026, 11, 30, 23, 5, 9, tzinfo=UTC)  # the next day in the park's zone
    with app.test_request_context(), force_locale(lang):
        assert datetime_text(moment, fmt) == format_datetime(moment, fmt)


def test_nothing_for_no_moment(app):
    with app.test_request_context():
        assert datetime_text(None) == ""
