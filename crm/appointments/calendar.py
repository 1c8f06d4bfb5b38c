"""A staff member's week of visits and meetings, and their personal calendar feed: the page that
shows, renews or turns off its secret address, and the feed itself (text/calendar)."""

from datetime import date, datetime, time, timedelta

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_login import current_user

from core.appointments import calendar_of, feeds
from core.extensions import db
from core.urls import external_url
from crm.activities.records import zone_of
from crm.appointments import bp
from crm.permissions import public, require

FEED_ENDPOINT = "crm.appointments.feed"


def _monday(value: date) -> date:
    return value - timedelta(days=value.weekday())


def _week_start() -> date:
    """The Monday of ?start=YYYY-MM-DD (any day of that week), else of this week; a date that
    does not parse is this week, never a 500."""
    today = datetime.now(zone_of()).date()
    raw = request.args.get("start", "")
    try:
        chosen = date.fromisoformat(raw) if raw else today
    except ValueError:
        chosen = today
    if not date(2000, 1, 3) <= chosen <= date(2999, 12, 27):
        chosen = today
    return _monday(chosen)


@bp.route("/calendar/week")
@require("crm.use")
def week():
    zone = zone_of()
    monday = _week_start()
    start = datetime.combine(monday, time.min, tzinfo=zone)
    items = calendar_of(current_user, start, start + timedelta(days=7))
    days = [(monday + timedelta(days=n), []) for n in range(7)]
    for item in items:
        offset = (item.starts_at.astimezone(zone).date() - monday).days
        if 0 <= offset < 7:
            days[offset][1].append(item)
    return render_template(
        "crm/appointments/week.html", days=days, monday=monday,
        previous=monday - timedelta(days=7), following=monday + timedelta(days=7),
        this_week=_monday(datetime.now(zone).date()),
    )  # fmt: skip


@bp.route("/calendar/feed", methods=["GET", "POST"])
@require("crm.use")
def feed_settings():
    """GET: whether the feed is on. POST: a new secret address, shown this once (it is stored
    only as a hash, so it is rendered here rather than carried in the session to a redirect)."""
    address = None
    if request.method == "POST":
        token = feeds.new_token(current_user._get_current_object())  # the User: audited by type
        address = external_url(FEED_ENDPOINT, token=token)
    return render_template(
        "crm/appointments/feed.html",
        address=address,
        on=current_user.calendar_feed_hash is not None,
    )


@bp.route("/calendar/feed/off", methods=["POST"])
@require("crm.use")
def feed_off():
    feeds.revoke(current_user._get_current_object())
    return redirect(url_for("crm.appointments.feed_settings"))


@bp.route("/calendar/feed/<token>.ics")
@public
def feed(token: str):
    """The feed calendar apps fetch without a session: the secret in the address is the key."""
    user = feeds.owner_of(token)
    if user is None:
        abort(404)
    with force_locale(user.language):  # a calendar app sends no language of its own
        name = gettext("Qingyuan: visits and meetings of %(name)s", name=user.name)
        body = feeds.feed_of(user, name)
    db.session.rollback()  # a feed reads only
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'inline; filename="qingyuan.ics"'},
    )
