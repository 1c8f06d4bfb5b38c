"""Working-day arithmetic with Chinese public holidays and adjusted working weekends."""

from datetime import UTC, date, datetime

from core.content import get_content
from core.workdays import (
    BUREAU,
    CHINA,
    OFFICIAL,
    STATUTORY,
    add_working_days,
    deadline_after,
    is_working_day,
    schedule_confirmed,
    unconfirmed_next_year,
    working_days_between,
    year_calendar,
)


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


def test_next_year_is_covered_by_the_calendar(app):
    """Deadlines next year must skip its public holidays: the calendar knows New Year's Day and
    the Spring Festival of the coming year, whatever year the suite runs in."""
    next_year = date.today().year + 1
    with app.app_context():
        off, _, source = year_calendar(next_year)
        assert date(next_year, 1, 1) in off, f"no holidays for {next_year} ({source})"
        assert sum(1 for day in off if day.month in (1, 2, 3) and day.day != 1) >= 3


def test_an_approval_due_over_new_year_2027_lands_on_the_next_working_day(app):
    with app.app_context():
        # Thursday 31 December 2026 + 1 working day: Friday 1 January 2027 is New Year's Day.
        assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
        assert not is_working_day(date(2027, 2, 8))  # Spring Festival 2027
        due = deadline_after(datetime(2026, 12, 31, 4, 0, tzinfo=UTC), 1)
        assert due.astimezone(CHINA).date() == date(2027, 1, 4)


def test_the_bureau_s_notice_overrides_the_package_and_confirms_the_year(app):
    with app.app_context():
        content = get_content()
        assert year_calendar(2026)[2] == BUREAU and schedule_confirmed(2026)
        assert year_calendar(2025)[2] == OFFICIAL  # the package carries the 2025 notice
        assert not is_working_day(date(2025, 10, 8))  # National Day 2025, from the package
        assert year_calendar(2031)[2] == STATUTORY and not schedule_confirmed(2031)
        # A made-up 2031 notice: its worked Sunday counts, its extra day off is off.
        content.data["holidays"] = {
            **content["holidays"],
            2031: {
                "holidays": [{"from": date(2031, 1, 1), "to": date(2031, 1, 3)}],
                "workdays": [date(2031, 1, 5)],
            },
        }
        content.version += "+2031"
        try:
            assert schedule_confirmed(2031)
            assert is_working_day(date(2031, 1, 5)) and not is_working_day(date(2031, 1, 3))
        finally:
            del content.data["holidays"][2031]
            content.version = content.version.removesuffix("+2031")


def test_admins_are_warned_from_november_when_next_year_is_not_confirmed(app):
    with app.app_context():
        assert unconfirmed_next_year(date(2030, 10, 31)) is None
        assert unconfirmed_next_year(date(2030, 11, 1)) == 2031
        assert unconfirmed_next_year(date(2025, 12, 1)) is None  # 2026 is in the bureau's file
