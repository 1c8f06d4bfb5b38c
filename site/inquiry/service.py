"""Storing a valid inquiry: lead, contact, consent, audit entry and emails in one transaction."""

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit, leads, referrals, webhooks
from core.choices import Band
from core.content import get_content
from core.extensions import db
from core.models import ConsentRecord, Contact, Event, Inquiry, Lead, Plot
from public_site import estimator
from public_site.inquiry.emails import queue_emails

FORM = "website"


class AlreadySubmitted(Exception):
    """Another request stored this very form first (a double click that raced)."""


@dataclass(frozen=True)
class Submission:
    """A valid inquiry as the visitor sent it, checked and normalised by the form."""

    submission_key: str
    form_language: str  # the page's language: the one the consent texts were shown in
    name: str
    company: str
    country: str
    email: str | None  # None only on the Chinese form, with a mobile number instead
    phone: str | None
    industry: str
    investment: Band | None
    land_need: Band | None
    language: str
    message: str
    marketing: bool
    consent_texts: dict[str, str]
    plot: Plot | None = None
    page: str | None = None
    utm: dict[str, str] = field(default_factory=dict)
    referral_code: str | None = None
    share_with_referrer: bool = False  # the separate consent to share with the referrer
    event: Event | None = None  # sent from this event's landing page: the lead is attributed
    # Checked inputs of the incentive estimator (never its figures: those are recomputed here).
    estimate_inputs: dict | None = None
    # The land search that found nothing, preferred meeting days and times (inquiry/wishes.py).
    wishes: dict | None = None


def find_inquiry(submission_key: str) -> Inquiry | None:
    return db.session.scalar(select(Inquiry).where(Inquiry.submission_key == submission_key))


def notice_fingerprint(consent_texts: dict[str, str], lang: str) -> tuple[str, str]:
    """The privacy notice version shown, and a sha256 of the consent wording plus the notice."""
    notice = get_content().privacy_notice(lang)
    version = str(notice.meta["version"]) if notice else "none"
    shown = {**consent_texts, "notice_version": version, "notice": notice.source if notice else ""}
    text = json.dumps(shown, sort_keys=True, ensure_ascii=False)
    return version, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lead(sub: Submission) -> Lead:
    investment = sub.investment or (None, None)
    land_need = sub.land_need or (None, None)
    lead = Lead(
        source=FORM,
        company_name=sub.company,
        country=sub.country,
        industry=sub.industry,
        investment_min=investment[0],
        investment_max=investment[1],
        investment_currency="CNY",
        land_need_min_mu=land_need[0],
        land_need_max_mu=land_need[1],
        language=sub.language,
    )
    if sub.plot is not None:
        lead.plots.append(sub.plot)
    if sub.event is not None:
        lead.event_id = sub.event.id
    return lead


def store(sub: Submission) -> None:
    """Store the inquiry and queue its emails, in the request's unit of work.

    Raises AlreadySubmitted when the same form was stored by a concurrent request.
    """
    lead = _lead(sub)
    contact = Contact(
        lead=lead, name=sub.name, email=sub.email, phone=sub.phone, language=sub.language
    )
    inquiry = Inquiry(
        lead=lead,
        contact=contact,
        submission_key=sub.submission_key,
        form=FORM,
        language=sub.form_language,
        page=sub.page,
        plot=sub.plot,
        message=sub.message,
        utm=dict(sub.utm),
        referral_code=sub.referral_code,
        estimate=estimator.estimate_for(sub.estimate_inputs) if sub.estimate_inputs else None,
        wishes=sub.wishes,
    )
    version, digest = notice_fingerprint(sub.consent_texts, sub.form_language)
    consent = ConsentRecord(
        contact=contact,
        inquiry=inquiry,
        form=FORM,
        language=sub.form_language,
        notice_version=version,
        notice_hash=digest,
        processing=True,
        sharing=sub.share_with_referrer,
        marketing=sub.marketing,
    )
    try:
        db.session.add_all([lead, contact, inquiry, consent])
        leads.on_create(lead)
        referrals.attribute_inquiry(lead, inquiry, sub.referral_code, sub.share_with_referrer)
        audit.record("create", lead)
        queue_emails(inquiry, consent)
        webhooks.new_inquiry(lead)
        # The same form sent twice at once: the second flush meets the first's submission key.
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        if find_inquiry(sub.submission_key) is not None:
            raise AlreadySubmitted from None
        raise
