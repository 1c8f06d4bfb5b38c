"""The portal's pages: the enterprise's referrals and link, a new referral, one referral."""

import re
import uuid

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from core import referrals
from core.choices import industry_name, language_name
from core.countries import country_name
from core.extensions import csrf, db
from core.models import Referral
from core.models.base import MAX_ID
from core.referral_status import REASON_LABELS, status, status_label
from core.urls import external_url
from public_site import bp
from public_site.portal.forms import CONSENT_HINT, CONSENT_LABEL, CONSENT_LEGEND, ReferralForm
from public_site.portal.session import portal_required

SUBMISSION_KEY = re.compile(r"[0-9a-f]{32}")


@bp.after_request
def portal_headers(response):
    """Portal pages are one person's: never stored by a browser or proxy, never indexed."""
    if (request.endpoint or "").startswith("site.portal"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _visible(query):
    """Referrals of the signed-in contact's enterprise that it may follow."""
    return query.where(
        Referral.enterprise_id == g.portal_contact.enterprise_id,
        (Referral.origin != "link") | Referral.shared_with_referrer.is_(True),
    )


@bp.route("/portal/")
@portal_required
def portal_home():
    contact = g.portal_contact
    enterprise = contact.enterprise
    rows = db.session.scalars(
        _visible(select(Referral))
        .options(selectinload(Referral.submitted_by))
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    ).all()
    # Investors who came through the link but did not agree to be followed: a number, no more.
    unshared = db.session.scalar(
        select(func.count())
        .select_from(Referral)
        .where(
            Referral.enterprise_id == enterprise.id,
            Referral.origin == "link",
            Referral.shared_with_referrer.is_(False),
        )
    )
    return render_template(
        "site/portal/home.html",
        enterprise=enterprise,
        referral_link=external_url("site.inquiry", ref=enterprise.referral_code),
        referrals=[(r, status_label(status(r))) for r in rows],
        unshared=unshared,
    )


def _render_form(form: ReferralForm, status_code: int = 200, problems=()):
    return make_response(
        render_template(
            "site/portal/referral_new.html",
            form=form,
            problems=list(problems),
            consent_legend=CONSENT_LEGEND,
            consent_hint=CONSENT_HINT,
        ),
        status_code,
    )


def _own_referral(key: str) -> Referral | None:
    return db.session.scalar(
        select(Referral).where(
            Referral.submission_key == key,
            Referral.enterprise_id == g.portal_contact.enterprise_id,
        )
    )


def _stored(referral: Referral):
    flash(
        gettext(
            "Thank you. Your referral of %(company)s has been sent to the investment bureau.",
            company=referral.company_name,
        ),
        "success",
    )
    return redirect(url_for("site.portal_referral", referral_id=referral.id), code=303)


@bp.route("/portal/referrals/new", methods=["GET", "POST"])
# The form checks its own CSRF token, so that a stale one gives the form back with what was typed.
@csrf.exempt
@portal_required
def portal_referral_new():
    contact = g.portal_contact
    if request.method == "GET":
        return _render_form(
            ReferralForm(data={"contact_language": g.lang, "submission_key": uuid.uuid4().hex})
        )

    form = ReferralForm()
    key = form.submission_key.data or ""
    if not SUBMISSION_KEY.fullmatch(key):
        key = form.submission_key.data = uuid.uuid4().hex
    done = _own_referral(key)
    if done is not None:
        return _stored(done)  # this very form was stored already: one referral, same answer
    valid = form.validate()
    problems = []
    if form.csrf_token.errors:
        form.csrf_token.errors = []  # said below in the user's words, not WTForms'
        problems.append(
            gettext(
                "This form has expired or was sent from elsewhere, so nothing was sent. "
                "Your details are still here: please check them and send the form again."
            )
        )
    if problems or not valid:
        return _render_form(form, 400 if problems else 422, problems)
    refused = referrals.refusal(
        contact.enterprise,
        form.company_name.data,
        form.company_name_latin.data,
        form.contact_email.data,
    )
    if refused:
        form.company_name.errors.append(refused)
        return _render_form(form, 422)

    try:
        referral = referrals.submit(contact, form.referral_data(), str(CONSENT_LABEL), g.lang)
        db.session.flush()
    except IntegrityError:
        # The same form, sent twice at once: the other request stored it.
        db.session.rollback()
        done = _own_referral(key)
        if done is None:
            raise
        return _stored(done)
    return _stored(referral)


@bp.route("/portal/referrals/<int:referral_id>")
@portal_required
def portal_referral(referral_id: int):
    if not 0 < referral_id <= MAX_ID:
        abort(404)
    # Another enterprise's referral, or a link inquiry not shared: as if it did not exist.
    referral = db.session.scalar(_visible(select(Referral).where(Referral.id == referral_id)))
    if referral is None:
        abort(404)
    state = status(referral)
    lead = referral.lead
    amount = lead.investment_estimate if referral.share_amounts and lead is not None else None
    return render_template(
        "site/portal/referral.html",
        referral=referral,
        status=state,
        status_text=status_label(state),
        history=[(u.at, status_label(u.status)) for u in referral.updates],
        reason=str(REASON_LABELS[referral.decline_reason])
        if state == "declined" and referral.decline_reason in REASON_LABELS
        else "",
        amount=amount,
        industry=industry_name(referral.industry) if referral.industry else "",
        country=country_name(referral.country),
        language=language_name(referral.contact_language) if referral.contact_language else "",
    )
