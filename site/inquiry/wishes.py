"""What an inquiry asks beyond its message: the land search that found nothing, and when to
meet at a fair; read safely from the form, kept on the inquiry, said in its emails."""

from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode

from flask import g
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from core.content import get_content
from core.i18n import current_language
from core.i18n import date as format_date
from core.models import Event, Inquiry
from core.urls import external_url
from public_site import bp
from public_site.land_filters import as_args, parse_filters

# A land search is a short query string; anything longer is not one of ours.
MAX_NEED = 400
MEETING_TIMES = {
    "morning": _l("Morning"),
    "afternoon": _l("Afternoon"),
    "any": _l("Any time"),
}


def clean_need(raw: str | None) -> str:
    """The land search an inquiry carries, as the land page would read it; "" when none."""
    if not raw or len(raw) > MAX_NEED:
        return ""
    site = get_content().site
    args = MultiDict(
        [(key, value) for key, values in parse_qs(raw).items() for value in values[:1]]
    )
    zones = {z["code"]: z for z in site["zones"]}
    uses = {u["code"]: u for u in site["land_uses"]}
    filters = parse_filters(args, g.lang, zones, uses)
    return urlencode(as_args(filters))


def fair_days(event: Event | None) -> list[date]:
    """The days of a fair not over yet, on which a meeting can be asked for."""
    if event is None or event.ends_on < date.today():
        return []
    days, day = [], max(event.starts_on, date.today())
    while day <= event.ends_on and len(days) < 14:
        days.append(day)
        day += timedelta(days=1)
    return days


def meeting_day_choices(event: Event | None) -> list[tuple[str, str]]:
    return [(day.isoformat(), format_date(day, "full")) for day in fair_days(event)]


def meeting_time_choices() -> list[tuple[str, str]]:
    return [("", gettext("No preference")), *((k, str(v)) for k, v in MEETING_TIMES.items())]


def collect(need: str, event: Event | None, days: list[str], time: str) -> dict | None:
    """The wishes to keep on the inquiry, only what was asked; None when nothing was."""
    wishes = {}
    if need:
        wishes["land_filter"] = need
    offered = {day.isoformat() for day in fair_days(event)}
    chosen = sorted(set(days) & offered)
    if event is not None and (chosen or time in MEETING_TIMES):
        wishes["meeting"] = {"event": event.slug, "days": chosen, "time": time or ""}
    return wishes or None


def rows(inquiry: Inquiry, lang: str) -> list[tuple[str, str]]:
    """The wishes as labelled lines in the current locale, links in `lang`."""
    wishes, out = inquiry.wishes or {}, []
    need = wishes.get("land_filter")
    if need:
        link = external_url("site.land", lang=lang) + "?" + need
        out.append((gettext("Land search that found no plot"), link))
    meeting = wishes.get("meeting") or {}
    days = [format_date(date.fromisoformat(d), "full") for d in meeting.get("days", [])]
    if meeting:
        out.append((gettext("Preferred meeting days"), ", ".join(days) or gettext("Any day")))
        time = MEETING_TIMES.get(meeting.get("time") or "")
        out.append(
            (gettext("Preferred time of day"), str(time) if time else gettext("No preference"))
        )
    return out


@bp.app_template_global("inquiry_wish_rows")
def staff_rows(inquiry: Inquiry) -> list[tuple[str, str]]:
    """The wishes on the lead's page in the CRM, in the staff member's language."""
    lang = current_language()
    return rows(inquiry, lang if lang in ("zh", "en", "de", "fr") else "zh")


def event_rows(event: Event | None, lang: str) -> list[tuple[str, str]]:
    """The fair and booth an inquiry from its page is about, for both emails."""
    if event is None:
        return []
    out = [(gettext("Fair"), event.text("name", lang))]
    place = ", ".join(p for p in (event.text("venue", lang), event.text("city", lang)) if p)
    if place:
        out.append((gettext("Venue"), place))
    if event.text("booth", lang):
        out.append((gettext("Booth"), event.text("booth", lang)))
    return out
