"""What an enterprise sees of its referrals: the statuses, their wording, and the emails."""

from flask import render_template
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import outbox
from core.extensions import db
from core.models import DECLINE_REASONS, EnterpriseContact, Referral
from core.urls import external_url

# What the referrer sees, in order; "declined" and "closed" end the road.
PROGRESS = (
    "submitted", "accepted", "contacted", "site_visit", "signed", "construction", "production"
)  # fmt: skip
STATUS_LABELS = {
    "submitted": _l("Submitted"),
    "accepted": _l("Accepted"),
    "contacted": _l("Contacted"),
    "site_visit": _l("Site visit"),
    "signed": _l("Signed"),
    "construction": _l("Under construction"),
    "production": _l("In production"),
    "declined": _l("Declined"),
    "closed": _l("Closed without a project"),
}
REASON_LABELS = {
    "already_known": _l("The company was already in contact with the bureau."),
    "already_referred": _l("Another enterprise referred this company first."),
    "not_a_fit": _l("The project does not fit the park's industries or land."),
    "unreachable": _l("The bureau could not reach the contact person."),
    "other": _l("Another reason (see the bureau's message)."),
}
assert set(REASON_LABELS) == set(DECLINE_REASONS)
# The referrer is emailed on the decision and at each milestone from the site visit on.
EMAILED = {"accepted", "declined", "site_visit", "signed", "construction", "production"}
# Where a lead's stage puts its referral on the referrer's road.
STAGE_PROGRESS = {
    "new": "accepted",
    "contacted": "contacted",
    "qualified": "contacted",
    "site_visit": "site_visit",
    "negotiation": "site_visit",
    "signed": "signed",
    "lost": "closed",
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def status(referral: Referral) -> str:
    """What the referrer sees now."""
    return "declined" if referral.decision == "declined" else referral.progress


# -- telling the referrer ----------------------------------------------------------------------


def recipients(referral: Referral) -> list[EnterpriseContact]:
    if referral.origin == "link" and not referral.shared_with_referrer:
        return []  # the investor did not agree that the enterprise may follow the inquiry
    submitter = referral.submitted_by
    if submitter is not None and submitter.active:
        return [submitter]
    return list(
        db.session.scalars(
            select(EnterpriseContact)
            .where(
                EnterpriseContact.enterprise_id == referral.enterprise_id,
                EnterpriseContact.active.is_(True),
            )
            .order_by(EnterpriseContact.id)
        )
    )


def notify(referral: Referral, state: str) -> None:
    if referral.id is None:
        db.session.flush()
    for contact in recipients(referral):
        with force_locale(contact.language):
            subject = gettext(
                "Your referral of %(company)s: %(status)s",
                company=referral.company_name,
                status=status_label(state),
            )
            url = external_url(
                "site.portal_referral", lang=contact.language, referral_id=referral.id
            )
            body = render_template(
                "mail/referral_status.txt",
                contact=contact,
                referral=referral,
                state=state,
                status=status_label(state),
                reason=str(REASON_LABELS[referral.decline_reason])
                if state == "declined" and referral.decline_reason
                else "",
                url=url,
            )
        outbox.queue(
            kind="referral_status",
            to=contact.email,
            language=contact.language,
            subject=subject,
            body=body,
        )


def counts_by_enterprise(enterprise_id: int) -> dict[str, int]:
    """Inquiries through the link whose investor did not agree to be followed: counted only."""
    return dict(
        db.session.execute(
            select(Referral.origin, func.count())
            .where(Referral.enterprise_id == enterprise_id)
            .group_by(Referral.origin)
        ).all()
    )
