"""Working-day arithmetic with Chinese public holidays and adjusted working weekends."""

from datetime import UTC, date, datetime

from core.workdays import add_working_days, deadline_after, is_working_day, working_days_between


def test_weekends_holidays_and_adjusted_workdays(app):
    with app.app_context():
        assert is_working_day(date(2026, 11, 27))  # a Friday
        assert not is_working_day(date(2026, 11, 28))  # a Saturday
        assert not is_working_day(date(2026, 10, 5))  # National Day week, a Monday
        assert is_working_day(date(2026, 10, 10))  # Saturday worked to make up for it
        assert not is_working_day(date(2026, 2, 16))  # Spring Festival


def test_adding_working_days(app):
    with app.app_context():
        assert add_working_days(date(2026, 11, 27), 2) == date(2026, 12, 1)  # Fri + 2 = Tue
        assert add_working_days(date(2026, 9, 30), 2) == date(2026, 10, 9)  # over National Day
        assert add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)  # a worked Saturday
        assert working_days_between(date(2026, 9, 30), date(2026, 10, 9)) == 2
        assert working_days_between(date(2026, 10, 9), date(2026, 9, 30)) == -2


def test_deadline_is_end_of_day_in_beijing(app):
    with app.app_context():
        # Friday 20:00 in Beijing is 12:00 UTC; two working days later is Tuesday 23:59:59 Beijing.
        due = deadline_after(datetime(2026, 11, 27, 12, 0, tzinfo=UTC), 2)
        assert due == datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC)
