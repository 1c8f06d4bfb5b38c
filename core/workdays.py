"""Working days in mainland China: weekends, public holidays and adjusted working weekends.

A year's days off and worked weekends (调休) come from the bureau's copy of the State Council's
notice in content/data/holidays.yaml when the year is there, else from the `holidays` package's
China calendar: the official schedule for the years it carries, the statutory holidays alone
for later ones (no make-up working days: those exist only once the notice is out, each November).
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from holidays.countries.china import ChinaStaticHolidays

from core.content import get_content

CHINA = ZoneInfo("Asia/Shanghai")
# From this day of the year on, admins are warned when next year's schedule is not confirmed.
WARN_FROM = (11, 1)

BUREAU, OFFICIAL, STATUTORY = "bureau", "official", "statutory"


def _from_notice(spec: dict) -> tuple[frozenset, frozenset]:
    off, on = set(), set()
    for block in spec.get("holidays", []):
        day = block["from"]
        while day <= block["to"]:
            off.add(day)
            day += timedelta(days=1)
    on.update(spec.get("workdays", []))
    return frozenset(off), frozenset(on)


@lru_cache(maxsize=64)
def _from_package(year: int) -> tuple[frozenset, frozenset]:
    china = holidays.China(years=year)
    return frozenset(china), frozenset(d for d in china.weekend_workdays if d.year == year)


_calendars: dict[tuple[str, int], tuple[frozenset, frozenset, str]] = {}


def year_calendar(year: int) -> tuple[frozenset, frozenset, str]:
    """(days off, worked weekend days, where they come from) for one year, once per content."""
    content = get_content()
    key = (content.version, year)
    if key not in _calendars:
        notices = content["holidays"] or {}
        if year in notices:
            _calendars[key] = (*_from_notice(notices[year]), BUREAU)
        else:
            official = year in ChinaStaticHolidays.special_public_holidays
            _calendars[key] = (*_from_package(year), OFFICIAL if official else STATUTORY)
    return _calendars[key]


def schedule_confirmed(year: int) -> bool:
    """Whether the year's official schedule, make-up working days included, is known."""
    return year_calendar(year)[2] != STATUTORY


def unconfirmed_next_year(today: date) -> int | None:
    """Next year, from 1 November on, if its official schedule is not confirmed yet."""
    if (today.month, today.day) >= WARN_FROM and not schedule_confirmed(today.year + 1):
        return today.year + 1
    return None


def is_working_day(day: date) -> bool:
    off, on, _ = year_calendar(day.year)
    if day in on:
        return True
    return day.weekday() < 5 and day not in off


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after start (start itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after start up to and including end (negative if end is before start)."""
    if end < start:
        return -working_days_between(end, start)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def deadline_after(moment: datetime, working_days: int) -> datetime:
    """End of the working day that falls `working_days` after moment, Beijing time, as UTC."""
    local_day = moment.astimezone(CHINA).date()
    due = add_working_days(local_day, working_days)
    return datetime.combine(due, time(23, 59, 59), CHINA).astimezone(UTC)
