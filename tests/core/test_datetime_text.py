"""Dates and times the reader's way, never ambiguous: the list's fast date-time filter says what
Flask-Babel says with the same pattern, and day comes before month, years have four digits and
hours run to 24 where Babel's own format would be US English or two-digit years."""

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale, format_datetime

from core.i18n import DATETIME_PATTERNS, datetime_text
from core.i18n import date as date_text

MOMENT = datetime(2026, 11, 30, 23, 5, 9, tzinfo=UTC)  # the next day in the park's zone


@pytest.mark.parametrize("lang", ["zh", "en", "de", "fr"])
@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full", "yyyy-MM-dd HH:mm"])
def test_same_text_as_flask_babel(app, lang, fmt):
    with app.test_request_context(), force_locale(lang):
        expected = format_datetime(MOMENT, DATETIME_PATTERNS.get((lang, fmt), fmt))
        assert datetime_text(MOMENT, fmt) == expected


@pytest.mark.parametrize(
    ("lang", "moment", "day", "short_day"),
    [
        ("zh", "2026年12月1日 07:05", "2026年12月9日", "2026年12月9日"),
        ("en", "1 Dec 2026, 07:05", "9 December 2026", "9 Dec 2026"),
        ("de", "01.12.2026, 07:05", "9. Dezember 2026", "09.12.2026"),
        ("fr", "01/12/2026 07:05", "9 décembre 2026", "09/12/2026"),
    ],
)
def test_unambiguous_in_every_language(app, lang, moment, day, short_day):
    with app.test_request_context(), force_locale(lang):
        assert datetime_text(MOMENT, "short") == datetime_text(MOMENT) == moment
        assert date_text(date(2026, 12, 9)) == day
        assert date_text(date(2026, 12, 9), "short") == short_day


def test_nothing_for_no_moment(app):
    with app.test_request_context():
        assert datetime_text(None) == "" and date_text(None) == ""
