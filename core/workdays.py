"""Working days in mainland China: weekends, public holidays and adjusted working weekends."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.content import get_content

CHINA = ZoneInfo("Asia/Shanghai")


_calendars: dict[str, tuple[frozenset, frozenset]] = {}


def _build(spec_by_year: dict) -> tuple[frozenset, frozenset]:
    off, on = set(), set()
    for spec in spec_by_year.values():
        for block in spec.get("holidays", []):
            day = block["from"]
            while day <= block["to"]:
                off.add(day)
                day += timedelta(days=1)
        on.update(spec.get("workdays", []))
    return frozenset(off), frozenset(on)


def calendar() -> tuple[frozenset, frozenset]:
    """(days off, extra working days), built once per content version."""
    content = get_content()
    if content.version not in _calendars:
        _calendars[content.version] = _build(content["holidays"] or {})
    return _calendars[content.version]


def is_working_day(day: date) -> bool:
    off, on = calendar()
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
