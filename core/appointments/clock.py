"""An appointment's time as people read it: in the investor's zone and in Beijing, side by side."""

from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from flask_babel import get_locale, gettext

from core.appointments import BEIJING, valid_zone
from core.i18n import DATETIME_PATTERNS

# Weekday first: "Tue" or "周二" settles a visit's day better than the date alone.
WEEKDAY = {"zh": "y年M月d日 EEE HH:mm", "en": "EEE d MMM y, HH:mm", "de": "EEE dd.MM.y, HH:mm",
           "fr": "EEE dd/MM/y HH:mm"}  # fmt: skip


DAY = {"zh": "M月d日 EEEE", "en": "EEEE d MMMM", "de": "EEEE, d. MMMM", "fr": "EEEE d MMMM"}


def _language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


def moment(value, zone: str, language: str | None = None) -> str:
    """A moment on a zone's clock, with the weekday, in the current (or given) language."""
    language = language or _language()
    pattern = WEEKDAY.get(language) or DATETIME_PATTERNS.get((language, "medium"), "medium")
    tz = ZoneInfo(zone if valid_zone(zone) else BEIJING)
    return format_datetime(value, pattern, tzinfo=tz, locale=language)


def side_by_side(appointment, language: str | None = None) -> str:
    """ "Tue 15 Dec 2026, 10:00 (Europe/Berlin) · Beijing time 17:00", or one clock in Beijing."""
    language = language or _language()
    zone = appointment.timezone if valid_zone(appointment.timezone) else BEIJING
    beijing = gettext(
        "%(time)s Beijing time", time=moment(appointment.starts_at, BEIJING, language)
    )
    if zone == BEIJING:
        return beijing
    theirs = gettext(
        "%(time)s (%(zone)s)", time=moment(appointment.starts_at, zone, language), zone=zone
    )
    return f"{theirs} · {beijing}"


def until(appointment, language: str | None = None) -> str:
    """The end on the Beijing clock ("18:30")."""
    return format_time(
        appointment.ends_at, "HH:mm", tzinfo=ZoneInfo(BEIJING), locale=language or _language()
    )


def day_heading(value, language: str | None = None) -> str:
    """A day of the week view: "Friday 11 December", "12月11日 星期五"."""
    language = language or _language()
    return format_date(value, DAY.get(language, "full"), locale=language)
