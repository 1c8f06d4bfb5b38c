"""Event landing pages (meet us at the booth, with an inquiry form for the event) and QR codes."""

import hashlib
import io
from datetime import date

import segno
from flask import abort, current_app, g, make_response, render_template, request
from sqlalchemy import func, select

from core.content import get_content
from core.extensions import db
from core.models import Event, Plot
from core.urls import external_url
from public_site import bp
from public_site.inquiry.forms import CONSENT_HINT, CONSENT_LEGEND, InquiryForm
from public_site.inquiry.views import initial_data
from public_site.sharing import event_data

# Printed codes are scanned from a metre away on a booth wall: error correction M and a
# four-module quiet zone, as ISO/IEC 18004 asks.
QR_ERROR = "m"
QR_BORDER = 4
# Codes only change with the URL, which never changes once published: cache them a day.
QR_MAX_AGE = 24 * 3600


def published_or_404(slug: str) -> Event:
    if len(slug) > 80:
        abort(404)
    event = db.session.scalar(select(Event).where(Event.slug == slug, Event.published.is_(True)))
    if event is None:
        abort(404)
    return event


def published_slugs() -> set[str]:
    """Slugs of the events with a landing page, for links from the news and home pages."""
    return set(db.session.scalars(select(Event.slug).where(Event.published.is_(True))))


@bp.route("/events/<slug>")
def event(slug: str):
    event = published_or_404(slug)
    counts = dict(db.session.execute(select(Plot.status, func.count()).group_by(Plot.status)).all())
    form = InquiryForm(data=initial_data(event))
    form.offer_meeting(event)
    response = make_response(
        render_template(
            "site/event.html",
            event=event,
            past=event.ends_on < date.today(),
            form=form,
            notice=get_content().privacy_notice(g.lang),
            consent_legend=CONSENT_LEGEND,
            consent_hint=CONSENT_HINT,
            plots_available=counts.get("available", 0),
            plots_total=sum(counts.values()),
            structured_extra=[event_data(event, g.lang)],
        )
    )
    # The page carries this visitor's CSRF and fill-time tokens: never cache it anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response


def _qr(slug: str):
    event = published_or_404(slug)
    return segno.make(external_url("site.event", slug=event.slug), error=QR_ERROR)


def _cacheable(body: bytes, mimetype: str, filename: str):
    response = current_app.response_class(body, mimetype=mimetype)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.headers["Cache-Control"] = f"public, max-age={QR_MAX_AGE}"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response.make_conditional(request)


@bp.route("/events/<slug>/qr.svg")
def event_qr_svg(slug: str):
    out = io.BytesIO()
    _qr(slug).save(out, kind="svg", scale=10, border=QR_BORDER, xmldecl=True, svgns=True)
    return _cacheable(out.getvalue(), "image/svg+xml", f"{slug}-{g.lang}.svg")


@bp.route("/events/<slug>/qr.png")
def event_qr_png(slug: str):
    out = io.BytesIO()
    # 20 px a module: about 4 cm across at 300 dpi, sharp enough for a poster when scaled up.
    _qr(slug).save(out, kind="png", scale=20, border=QR_BORDER)
    return _cacheable(out.getvalue(), "image/png", f"{slug}-{g.lang}.png")
