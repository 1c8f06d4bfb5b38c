"""The emails of an inquiry: the investor's confirmation in their language, the bureau's note."""

from flask import current_app, render_template
from flask_babel import force_locale, format_datetime, gettext

from core import choices, outbox, throttle
from core.content import get_content
from core.countries import country_name
from core.i18n import area, phone, translated
from core.models import ConsentRecord, Inquiry, OutboxEmail
from core.settings import promised_working_days
from core.urls import external_url, staff_lead_url
from public_site import estimator_words  # the module: it imports this package as it loads
from public_site.inquiry import wishes
from public_site.inquiry.labels import LABELS, STAFF_LABELS

# The bureau works in Chinese, whatever language the investor wrote in.
BUREAU_LANGUAGE = "zh"


def _link(endpoint: str, lang: str, **args) -> str:
    return external_url(endpoint, lang=lang, **args)


def _plot_text(inquiry: Inquiry) -> str:
    plot = inquiry.plot
    if plot is None:
        return gettext("None chosen")
    zones = {z["code"]: translated(z["name"]) for z in get_content().site["zones"]}
    return gettext(
        "%(code)s (%(zone)s, %(area)s)",
        code=plot.code,
        zone=zones.get(plot.zone, plot.zone),
        area=area(plot.area_m2),
    )


def _band(low, high, label) -> str:
    return gettext("Not decided yet") if low is None else label((low, high))


def summary_rows(inquiry: Inquiry, labels: dict = LABELS) -> list[tuple[str, str]]:
    """What the investor sent, labelled (for the investor, or for staff) in the current locale."""
    lead, contact = inquiry.lead, inquiry.contact
    return [
        (str(labels["name"]), contact.name),
        (str(labels["company"]), lead.company_name),
        (str(labels["country"]), country_name(lead.country)),
        (str(labels["email"]), contact.email or ""),
        (str(labels["phone"]), phone(contact.phone) or "—"),
        (str(labels["industry"]), choices.industry_name(lead.industry)),
        (
            str(labels["investment"]),
            _band(lead.investment_min, lead.investment_max, choices.investment_label),
        ),
        (
            str(labels["land_need"]),
            _band(lead.land_need_min_mu, lead.land_need_max_mu, choices.land_need_label),
        ),
        (str(labels["language"]), choices.language_name(lead.language)),
        (gettext("Plot"), _plot_text(inquiry)),
    ]


def _bureau_rows(inquiry: Inquiry, consent: ConsentRecord) -> list[tuple[str, str]]:
    """Where the inquiry came from and what the investor agreed to, for the bureau only."""
    yes, no = gettext("Yes"), gettext("No")
    utm = ", ".join(f"{key}={value}" for key, value in sorted(inquiry.utm.items()))
    return [
        (gettext("Lead number"), str(inquiry.lead_id)),
        (gettext("Received"), format_datetime(inquiry.created_at, "medium")),
        (gettext("Form filled in"), choices.language_name(inquiry.language)),
        (gettext("Came from page"), inquiry.page or "—"),
        (gettext("Campaign (UTM)"), utm or "—"),
        (gettext("Referral code"), inquiry.referral_code or "—"),
        (gettext("Consent to process the inquiry"), yes if consent.processing else no),
        (gettext("Consent to marketing"), yes if consent.marketing else no),
        (gettext("Privacy notice version"), consent.notice_version),
    ]


def confirmation_rows(inquiry: Inquiry) -> list[tuple[str, str]]:
    """What the confirmation repeats: only what the form checked or offered as a choice.

    The confirmation goes to whatever address was typed, so it quotes nothing free-form (name,
    company, message): otherwise the form would mail anyone a text of the sender's choosing.
    """
    free_form = {str(LABELS["name"]), str(LABELS["company"])}
    return [(label, value) for label, value in summary_rows(inquiry) if label not in free_form]


def _confirmation(inquiry: Inquiry) -> OutboxEmail:
    lead = inquiry.lead
    lang = lead.language
    site = get_content().site
    with force_locale(lang):
        park = translated(site["park"]["name"])
        body = render_template(
            "site/email/inquiry_confirmation.txt",
            inquiry=inquiry,
            rows=confirmation_rows(inquiry),
            event_rows=wishes.event_rows(lead.event, lang),
            wish_rows=wishes.rows(inquiry, lang),
            park=park,
            bureau=site["bureau"],
            days=promised_working_days(),
            reply_language=choices.language_name(lang),
            privacy_url=_link("site.privacy", lang),
            plot_url=inquiry.plot and _link("site.plot", lang, code=inquiry.plot.code),
            land_url=_link("site.land", lang),
            service_url=_link("site.page", lang, slug="one-stop-service"),
        )
        subject = gettext("Your inquiry to %(park)s", park=park)
    return outbox.queue(
        kind="inquiry_confirmation",
        to=inquiry.contact.email,
        language=lang,
        subject=subject,
        body=body,
        lead_id=lead.id,
        # It asks the investor to reply: the reply must find the lead and its officer.
        answerable_by_lead=True,
        officer_name=lead.owner.name if lead.owner else None,
    )


def _notification(inquiry: Inquiry, consent: ConsentRecord) -> OutboxEmail:
    lead = inquiry.lead
    with force_locale(BUREAU_LANGUAGE):
        body = render_template(
            "site/email/inquiry_notification.txt",
            inquiry=inquiry,
            rows=summary_rows(inquiry, STAFF_LABELS) + _bureau_rows(inquiry, consent),
            event_rows=wishes.event_rows(lead.event, BUREAU_LANGUAGE),
            wish_rows=wishes.rows(inquiry, BUREAU_LANGUAGE),
            estimate=estimator_words.estimate_rows(inquiry.estimate) if inquiry.estimate else [],
            plot_url=inquiry.plot and _link("site.plot", BUREAU_LANGUAGE, code=inquiry.plot.code),
            days=promised_working_days(),
            reply_language=choices.language_name(lead.language),
            lead_url=staff_lead_url(lead.id),
        )
        subject = gettext(
            "New inquiry from the website: %(company)s (%(country)s)",
            company=lead.company_name,
            country=country_name(lead.country),
        )
    return outbox.queue(
        kind="inquiry_notification",
        to=current_app.config["BUREAU_EMAIL"],
        language=BUREAU_LANGUAGE,
        subject=subject,
        body=body,
        lead_id=lead.id,
        # Answering the notification answers the investor.
        reply_to=inquiry.contact.email if inquiry.contact else None,
    )


def queue_emails(inquiry: Inquiry, consent: ConsentRecord) -> list[OutboxEmail]:
    """Write both emails to the outbox in the caller's transaction.

    An address gets a few confirmations a day (INQUIRY_CONFIRMATION_LIMIT), however many forms
    name it: past that the inquiry is still stored and the bureau still told.
    """
    limit = current_app.config["INQUIRY_CONFIRMATION_LIMIT"]
    emails = []
    email = inquiry.contact.email
    # A mobile number instead of an address (the Chinese form): the bureau phones or texts.
    if email and throttle.hit(limit, "inquiry-confirmations", email.lower()):
        emails.append(_confirmation(inquiry))
    return [*emails, _notification(inquiry, consent)]
