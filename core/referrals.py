"""Referrals: submitting, the bureau's decision, attribution of credit, and what the referrer sees.

The rules: the first enterprise to refer a company earns the credit (the referral's time); a
company already in the pipeline cannot be claimed by a later referral unless a manager overrides
with a reason; self-referral and referral of a firm already in the park are refused. The credit is
`Lead.referrer_enterprise_id` and follows the lead through every stage and merge.
"""

import hashlib
import json
from types import SimpleNamespace

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import select

from core import audit, leads, notifications, outbox, referral_routing
from core.countries import country_name
from core.enterprises import matching_enterprise, normalise_address
from core.extensions import db
from core.firm_pairs import remember_different
from core.matching import normalise_company
from core.models import (
    DECLINE_REASONS,
    ConsentRecord,
    Contact,
    Enterprise,
    EnterpriseContact,
    Inquiry,
    Lead,
    Project,
    Referral,
    ReferralUpdate,
    Team,
    User,
)
from core.models.base import utcnow
from core.referral_status import EMAILED, PROGRESS, STAGE_PROGRESS, notify
from core.refusals import Refused
from core.urls import external_url

MANAGER_ROLES = ("admin", "manager")


# -- submitting ------------------------------------------------------------------------------


def refusal(enterprise: Enterprise, company: str, latin: str | None, email: str | None):
    """Why the enterprise may not refer this company (itself, or a firm already in the park)."""
    found = matching_enterprise(company, latin)
    own_addresses = {c.email for c in enterprise.contacts}
    if (found is not None and found.id == enterprise.id) or (
        email and normalise_address(email) in own_addresses
    ):
        return gettext(
            "This looks like your own company. A referral brings a firm that is not yet in the "
            "park: please refer another company."
        )
    if found is not None:
        return gettext(
            "%(name)s is already in the park, so it cannot be referred. If it plans a new "
            "project, it can contact the bureau directly.",
            name=found.display_name(enterprise_language()),
        )
    return None


def enterprise_language() -> str:
    from flask import g

    return g.get("lang") or "zh"


def consent_hash(text: str, lang: str) -> str:
    payload = json.dumps({"text": text, "language": lang}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _add_update(referral: Referral, state: str) -> None:
    referral.updates.append(ReferralUpdate(status=state, at=utcnow()))


def submit(contact: EnterpriseContact, data: dict, consent_text: str, lang: str) -> Referral:
    """Store a referral from the portal (the caller checked refusal() and commits)."""
    referral = Referral(
        enterprise_id=contact.enterprise_id,
        submitted_by_id=contact.id,
        origin="portal",
        company_key=normalise_company(data["company_name"]),
        consent_at=utcnow(),
        consent_language=lang,
        consent_hash=consent_hash(consent_text, lang),
        **data,
    )
    referral.team_id = referral_routing.team_for(referral)
    db.session.add(referral)
    _add_update(referral, "submitted")
    routed = {"team": [None, referral.team_id]} if referral.team_id else None
    audit.record("create", referral, routed, actor=f"contact:{contact.id}")
    _tell_the_bureau(referral, contact)
    return referral


def _tell_the_bureau(referral: Referral, contact: EnterpriseContact) -> None:
    """The bureau hears of a new referral at once, in Chinese, with the way to its queue and
    the team it waits with (the page answers only those who may see it)."""

    db.session.flush()
    team = db.session.get(Team, referral.team_id) if referral.team_id else None
    with force_locale("zh"):
        enterprise = contact.enterprise.display_name("zh")
        body = render_template(
            "mail/referral_notification.txt",
            referral=referral,
            enterprise=enterprise,
            team=team.label if team else gettext("Shared inbox"),
            country=country_name(referral.country),
            url=external_url("crm.referrals.referral", referral_id=referral.id),
        )
        subject = gettext(
            "New referral from %(enterprise)s: %(company)s",
            enterprise=enterprise,
            company=referral.company_name,
        )
    outbox.queue(
        kind="referral_notification",
        to=current_app.config["BUREAU_EMAIL"],
        language="zh",
        subject=subject,
        body=body,
    )
    notifications.referral_to_decide(referral)


def attribute_inquiry(lead: Lead, inquiry: Inquiry, code: str | None, shared: bool) -> None:
    """An inquiry through an enterprise's referral link: credit the enterprise if it may."""
    if not code:
        return
    enterprise = db.session.scalar(select(Enterprise).where(Enterprise.referral_code == code))
    contact = inquiry.contact
    if enterprise is None or refusal(
        enterprise, lead.company_name, None, contact.email if contact else None
    ):
        return
    now = utcnow()
    lead.source = "referral"
    lead.referrer_enterprise_id, lead.referred_at = enterprise.id, now
    referral = Referral(
        enterprise_id=enterprise.id,
        origin="link",
        created_at=now,
        company_name=lead.company_name,
        company_key=lead.company_key or normalise_company(lead.company_name),
        country=lead.country,
        industry=lead.industry,
        contact_name=contact.name if contact else "",
        contact_email=contact.email if contact else None,
        contact_phone=contact.phone if contact else None,
        contact_language=lead.language,
        consent_at=now,
        consent_language=inquiry.language,
        shared_with_referrer=shared,
        decision="accepted",
        decided_at=now,
        lead=lead,
        progress="accepted",
    )
    db.session.add(referral)
    _add_update(referral, "submitted")
    _add_update(referral, "accepted")
    audit.record("create", referral)
    notify(referral, "accepted")


# -- the bureau's decision ---------------------------------------------------------------------


def _lookalike(referral: Referral) -> SimpleNamespace:
    """The referred firm in the shape possible_duplicates() reads."""
    contact = SimpleNamespace(email=referral.contact_email, phone=referral.contact_phone)
    return SimpleNamespace(
        id=None,
        company_name=referral.company_name,
        company_name_latin=referral.company_name_latin,
        country=referral.country,
        contacts=[contact],
    )


def matching_leads(referral: Referral) -> list[tuple[Lead, list[str], int]]:
    """Leads that may be the referred company (email, phone or a similar name)."""
    return leads.possible_duplicates(_lookalike(referral))


def earlier_referrals(referral: Referral) -> list[Referral]:
    """Undecided referrals of the same company sent before this one (by any enterprise)."""
    if not referral.company_key:
        return []
    return list(
        db.session.scalars(
            select(Referral).where(
                Referral.id != referral.id,
                Referral.decision == "submitted",
                Referral.company_key == referral.company_key,
                Referral.created_at <= referral.created_at,
            )
        )
    )


def _decide(referral: Referral, user: User, decision: str) -> dict:
    """Record the decision; returns the routing it brought, for the decision's audit entry."""
    if referral.decision != "submitted":
        raise Refused(gettext("This referral was already decided."))
    referral.decision, referral.decided_at, referral.decided_by_id = decision, utcnow(), user.id
    return referral_routing.take_on(referral, user)


def accept(referral: Referral, user: User, *, different_company: bool = False) -> Lead:
    """A new lead from the referral, with source `referral` and the referrer's credit."""
    if earlier_referrals(referral):
        raise Refused(
            gettext(
                "An earlier referral of this company is still waiting: decide that one first, "
                "so that the first referrer keeps the credit."
            )
        )
    lookalikes = matching_leads(referral)
    if lookalikes and not different_company:
        raise Refused(
            gettext(
                "This company may already be in the pipeline. Merge the referral into that lead, "
                "or confirm that it is a different company."
            )
        )
    routed = _decide(referral, user, "accepted")
    # Confirmed as another firm: those leads are not proposed for it again.
    for other, _, _ in lookalikes:
        remember_different(
            referral.company_key, other.company_key, user=user, lead_ids=(None, other.id)
        )
    lead = Lead(
        source="referral",
        company_name=referral.company_name,
        company_name_latin=referral.company_name_latin,
        country=referral.country,
        industry=referral.industry,
        language=referral.contact_language,
        referrer_enterprise_id=referral.enterprise_id,
        referred_at=referral.created_at,
    )
    if user.role == "officer":  # as with a lead typed in: who takes it on owns it
        lead.owner_id, lead.team_id = user.id, user.team_id
    db.session.add(lead)
    _add_contact(lead, referral)
    leads.on_create(lead, user=user)
    referral.lead = lead
    audit.record("create", lead, {"referrer": [None, referral.enterprise_id]})
    audit.record(
        "accept",
        referral,
        {"decision": ["submitted", "accepted"], "lead": [None, lead.id], **routed},
    )
    _advance(referral, "accepted")
    return lead


def _add_contact(lead: Lead, referral: Referral) -> Contact | None:
    """The referred person joins the lead (unless already there), with their consent on record."""
    address = normalise_address(referral.contact_email) if referral.contact_email else None
    if address and any(c.email and c.email.lower() == address for c in lead.contacts):
        return None
    contact = Contact(
        name=referral.contact_name,
        email=referral.contact_email,
        phone=referral.contact_phone,
        position=referral.contact_position,
        language=referral.contact_language,
    )
    lead.contacts.append(contact)
    message = "\n\n".join(part for part in (referral.plans, referral.how_known) if part)
    inquiry = Inquiry(
        lead=lead,
        contact=contact,
        submission_key=f"referral-{referral.id}",
        form="referral",
        language=referral.consent_language or referral.contact_language,
        message=message,
    )
    db.session.add_all(
        [
            contact,
            inquiry,
            ConsentRecord(
                contact=contact,
                inquiry=inquiry,
                form="referral",
                language=referral.consent_language or referral.contact_language,
                notice_version="referral",
                notice_hash=referral.consent_hash or "",
                processing=True,
                sharing=True,
            ),
        ]
    )
    return contact


def earns_credit(referral: Referral, lead: Lead) -> bool:
    """Whether the referral, merged into this lead, holds the credit by the first-in-time rule."""
    if lead.referrer_enterprise_id == referral.enterprise_id:
        return True
    if lead.created_at < referral.created_at:
        return False  # the company was in the pipeline before the referral
    return lead.referred_at is None or referral.created_at < lead.referred_at


def merge(referral: Referral, lead: Lead, user: User, *, override_reason: str = "") -> bool:
    """Add the referral to an existing lead; returns whether the referrer has the credit."""
    credit = earns_credit(referral, lead)
    override_reason = override_reason.strip()
    if not credit and override_reason:
        if user.role not in MANAGER_ROLES:
            raise Refused(gettext("Only a manager may give the credit for a lead already known."))
        credit = True
    routed = _decide(referral, user, "accepted" if credit else "declined")
    referral.lead = lead
    _add_contact(lead, referral)
    leads.refresh_search_text(lead)
    changes = {"decision": ["submitted", referral.decision], "lead": [None, lead.id], **routed}
    if credit and lead.referrer_enterprise_id != referral.enterprise_id:
        lead_changes = {
            "referrer": [lead.referrer_enterprise_id, referral.enterprise_id],
            "referred_at": [lead.referred_at, referral.created_at],
        }
        if override_reason:
            lead_changes["override_reason"] = [None, override_reason]
        lead.referrer_enterprise_id, lead.referred_at = referral.enterprise_id, referral.created_at
        audit.record("credit", lead, lead_changes)
    audit.record("merge", referral, changes)
    if credit:
        _advance(referral, "accepted")
        sync(referral)
    else:
        referral.decline_reason = "already_known"
        _advance(referral, "declined")
    return credit


def decline(referral: Referral, user: User, reason: str, message: str = "") -> None:
    if reason not in DECLINE_REASONS:
        raise Refused(gettext("Choose a reason from the list."))
    routed = _decide(referral, user, "declined")
    referral.decline_reason, referral.decline_message = reason, message.strip()
    audit.record(
        "decline",
        referral,
        {"decision": ["submitted", "declined"], "reason": [None, reason], **routed},
    )
    _advance(referral, "declined")


# -- following the lead ------------------------------------------------------------------------


def _advance(referral: Referral, state: str) -> None:
    if state not in ("declined", "closed"):
        referral.progress = state
    elif state == "closed":
        referral.progress = "closed"
    _add_update(referral, state)
    if state in EMAILED:
        notify(referral, state)


def sync(referral: Referral) -> None:
    """Bring what the referrer sees in line with the lead: forward only, or closed if lost."""
    lead = referral.lead
    if referral.decision != "accepted" or lead is None:
        return
    target = STAGE_PROGRESS.get(lead.stage, "accepted")
    if lead.stage == "signed":  # after signing, the project's own stages carry on the road
        project = db.session.scalar(select(Project).where(Project.lead_id == lead.id))
        if project is not None and project.stage != "signed":
            target = project.stage
    current = referral.progress
    if target == current:
        return
    if (
        target == "closed"
        or current == "closed"
        or PROGRESS.index(target) > PROGRESS.index(current)
    ):
        _advance(referral, target)


def lead_moved(lead: Lead) -> None:
    """Called on every stage change (core.leads.record_stage)."""
    for referral in db.session.scalars(
        select(Referral).where(Referral.lead_id == lead.id, Referral.decision == "accepted")
    ):
        sync(referral)


def after_merge(survivor: Lead, loser: Lead) -> None:
    """Two leads became one: the credit is the first lead's in the pipeline, as if never split."""
    first = min((survivor, loser), key=lambda lead: (lead.created_at, lead.id))
    wanted = (first.referrer_enterprise_id, first.referred_at)
    if (survivor.referrer_enterprise_id, survivor.referred_at) != wanted:
        audit.record(
            "credit",
            survivor,
            {"referrer": [survivor.referrer_enterprise_id, wanted[0]]},
        )
        survivor.referrer_enterprise_id, survivor.referred_at = wanted
    for referral in db.session.scalars(
        select(Referral).where(Referral.lead_id == survivor.id, Referral.decision == "accepted")
    ):
        if referral.enterprise_id != survivor.referrer_enterprise_id:
            referral.decision, referral.decline_reason = "declined", "already_known"
            referral.decided_at = utcnow()
            _add_update(referral, "declined")
            notify(referral, "declined")
        else:
            sync(referral)
