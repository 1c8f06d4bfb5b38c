"""The inquiry pages: the form (GET shows it, POST checks and stores it) and the thanks page."""

import contextlib
import logging
from decimal import Decimal

from flask import g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from core import choices
from core.content import get_content
from core.errors import DATABASE_DOWN
from core.extensions import csrf, db, limiter
from core.metrics import INQUIRIES
from core.models import Enterprise, Event, Plot
from core.settings import promised_working_days
from public_site import bp, estimator, estimator_words  # modules: they import this package
from public_site.inquiry import service, spam, tracking, wishes
from public_site.inquiry.forms import CONSENT_HINT, CONSENT_LEGEND, InquiryForm
from public_site.rendering import render_page

log = logging.getLogger(__name__)


def _plot(code: str | None) -> Plot | None:
    """The plot a ?plot=CODE link asks about; an unknown code is simply ignored."""
    if not code or len(code) > 16:
        return None
    return db.session.scalar(select(Plot).where(Plot.code == code.strip()))


def published_event(slug: str | None) -> Event | None:
    """The event a landing page or ?event=SLUG link names; unknown or unpublished: ignored."""
    if not slug or len(slug) > 80:
        return None
    return db.session.scalar(
        select(Event).where(Event.slug == slug.strip(), Event.published.is_(True))
    )


def referrer(code: str | None) -> Enterprise | None:
    """The enterprise whose referral link (?ref=CODE) brought the visitor; else None."""
    code = tracking.clean_referral_code(code)
    if not code:
        return None
    return db.session.scalar(select(Enterprise).where(Enterprise.referral_code == code))


def _band_of(value: str | None, bands) -> str:
    """The band a figure falls in (lower bound included); "" when none does."""
    if value is None:
        return ""
    amount = Decimal(value)
    for key, (low, high) in bands:
        if low <= amount and (high is None or amount < high):
            return key
    return ""


def _from_estimate(token: str | None) -> dict:
    """An estimate link (?estimate=TOKEN) fills in industry, investment and land; bad: ignored."""
    inputs = estimator.inputs_from_token(token)
    if inputs is None:
        return {}
    return {
        "estimate": token,
        "industry": inputs["industry"],
        "investment": _band_of(inputs["investment"], choices.investment_bands()),
        "land_need": _band_of(inputs["land_mu"], choices.land_need_bands()),
    }


def _estimate_notice(form: InquiryForm) -> dict | None:
    """What the form says about the estimate it carries; a bad token is dropped silently."""
    inputs = estimator.inputs_from_token(form.estimate.data)
    result = estimator.estimate_for(inputs) if inputs else None
    if result is None:
        form.estimate.data = ""
        return None
    return {
        "summary": estimator_words.estimate_summary(result),
        "version": result["version"],
        "url": url_for("site.estimator", **estimator.url_args(inputs, g.lang)),
    }


def initial_data(event: Event | None = None) -> dict:
    """Defaults for a fresh form: the page's language, and what the link brought with it."""
    args = request.args
    plot = _plot(args.get("plot"))
    event = event or published_event(args.get("event"))
    return {
        "event": event.slug if event else "",
        "language": g.lang,
        "form_token": spam.issue_token(),
        "plot": plot.code if plot else "",
        "need": wishes.clean_need(args.get("need")),
        "page": tracking.page_from_referrer() or "",
        "ref": tracking.clean_referral_code(args.get("ref")) or "",
        **tracking.clean_utm(args),
        **_from_estimate(args.get("estimate")),
    }


def _render(
    form: InquiryForm, problems: list[str] | None = None, status: int = 200, *, offline=False
):
    """The form page; offline (the database unreachable), without what only the database knows,
    and with the hidden fields left as they came so nothing is lost on the next try."""
    plot = event = firm = None
    if not offline:
        plot = _plot(form.plot.data)
        form.plot.data = plot.code if plot else ""
        event = published_event(form.event.data)
        form.event.data = event.slug if event else ""
        firm = referrer(form.ref.data)
        form.set_referrer(firm.display_name(g.lang) if firm else None)
        form.offer_meeting(event)
    form.need.data = wishes.clean_need(form.need.data)
    estimate = _estimate_notice(form)
    response = make_response(
        render_template(
            "site/inquiry.html",
            form=form,
            problems=problems or [],
            plot=plot,
            event=event,
            referrer=firm,
            estimate=estimate,
            need_url=form.need.data and url_for("site.land") + "?" + form.need.data,
            notice=get_content().privacy_notice(g.lang),
            consent_legend=CONSENT_LEGEND,
            consent_hint=CONSENT_HINT,
            days=promised_working_days(),
        ),
        status,
    )
    # The page carries this visitor's CSRF and fill-time tokens: never cache it anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response


def _thanks(by_phone: bool = False):
    # Without an email address there is no confirmation mail: the thanks page says so.
    args = {"by": "phone"} if by_phone else {}
    return redirect(url_for("site.inquiry_thanks", **args), code=303)


def _token_problem(form: InquiryForm) -> tuple[spam.FillToken | None, str | None]:
    """Read the fill-time token; a bad or old one gets a fresh token and a request to resend."""
    try:
        return spam.read_token(form.form_token.data), None
    except spam.TokenExpired:
        message = gettext(
            "This form was open for a long time, so we could not accept it as it was. "
            "Your details are still here: please check them and send the form again."
        )
    except spam.TokenInvalid:
        message = gettext(
            "We could not check this form. "
            "Your details are still here: please check them and send the form again."
        )
    form.form_token.data = spam.issue_token()
    return None, message


def _submission(form: InquiryForm, token: spam.FillToken) -> service.Submission:
    return service.Submission(
        submission_key=token.submission_key,
        form_language=g.lang,
        name=form.name.data,
        company=form.company.data,
        country=form.country.data,
        email=form.email.data or None,
        phone=form.phone_e164,
        industry=form.industry.data,
        investment=choices.band_for(form.investment.data, choices.investment_bands()),
        land_need=choices.band_for(form.land_need.data, choices.land_need_bands()),
        language=form.language.data,
        message=form.message.data or "",
        marketing=form.marketing.data,
        consent_texts=form.consent_texts(),
        plot=_plot(form.plot.data),
        page=tracking.own_path(form.page.data),
        utm=tracking.clean_utm({key: getattr(form, key).data for key in tracking.UTM_KEYS}),
        referral_code=tracking.clean_referral_code(form.ref.data),
        share_with_referrer=bool(form.share.data and form.share.label.text),
        event=published_event(form.event.data),
        wishes=wishes.collect(
            wishes.clean_need(form.need.data),
            published_event(form.event.data),
            form.meeting_days.data or [],
            form.meeting_time.data or "",
        ),
        estimate_inputs=estimator.inputs_from_token(form.estimate.data),
    )


@bp.route("/inquiry", methods=["GET", "POST"])
# The form checks its own CSRF token (Flask-WTF), so that a stale one sends the visitor's
# details back to them instead of to an error page that would lose them.
@csrf.exempt
# Per address generous (a fair's Wi-Fi is one address for many visitors), per form tight.
@limiter.limit(spam.rate_limit, methods=["POST"])
@limiter.limit(spam.form_limit, key_func=spam.form_key, methods=["POST"])
def inquiry():
    if request.method == "GET":
        return _render(InquiryForm(data=initial_data()))

    form = InquiryForm()
    try:
        return _receive(form)
    except DATABASE_DOWN:
        db.session.rollback()
        log.exception("inquiry not stored: the database is unreachable")
        problem = gettext(
            "We could not receive your inquiry just now because of a technical problem on our "
            "side. Nothing was sent and your details are still here: please send the form again "
            "in a few minutes."
        )
        response = _render(form, [problem], 503, offline=True)
        response.headers["Retry-After"] = "120"
        return response


def _receive(form: InquiryForm):
    firm = referrer(form.ref.data)
    form.set_referrer(firm.display_name(g.lang) if firm else None)
    token, token_problem = _token_problem(form)
    if token and service.find_inquiry(token.submission_key):
        # this very form was stored already: same answer, no second lead
        return _thanks(by_phone=not form.email.data)
    problems = [token_problem] if token_problem else []
    valid = form.validate()
    csrf_refused = bool(form.csrf_token.errors)
    if csrf_refused:
        form.csrf_token.errors = []  # said below in the visitor's words, not WTForms'
        problems.append(
            gettext(
                "This form has expired or was sent from elsewhere, so nothing was sent. "
                "Your details are still here: please check them and send the form again."
            )
        )
    if form.website.data:
        problems.append(
            gettext(
                "The form was not sent because the field “Leave this field empty” was filled in, "
                "perhaps by your browser. We have emptied it: please send the form again."
            )
        )
        form.website.data = ""
    if token and spam.filled_too_fast(token):
        problems.append(
            gettext(
                "That was quick! To keep out automated spam, please check your details "
                "once more and send the form again."
            )
        )
    content_problem = spam.content_problem(form) if valid else None
    if content_problem:
        form.message.errors.append(content_problem)
    if problems or not valid or content_problem:
        return _render(form, problems, 400 if csrf_refused else 422)

    # Stored by a concurrent request of the same form (AlreadySubmitted): the same answer.
    with contextlib.suppress(service.AlreadySubmitted):
        service.store(_submission(form, token))
        INQUIRIES.inc()
    return _thanks(by_phone=not form.email.data)


@bp.route("/inquiry/thanks")
def inquiry_thanks():
    """The same for everyone: what happens next, never what somebody sent."""
    return render_page(
        "site/inquiry_thanks.html",
        days=promised_working_days(),
        by_phone=request.args.get("by") == "phone",
    )
