"""Enterprises in the park: matching names, referral codes, portal sign-in links, invitations."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, render_template, request
from flask_babel import force_locale, gettext
from sqlalchemy import select, update

from core import outbox
from core.audit import record
from core.content import get_content
from core.extensions import db
from core.matching import normalise_company
from core.matching.scoring import ALIKE_SCORE, Firm, compare
from core.models import Enterprise, EnterpriseContact, Plot, PortalLink
from core.models.base import utcnow
from core.urls import external_url

LINK_PURPOSES = ("invite", "sign_in")


def new_referral_code() -> str:
    """16 URL-safe characters (96 random bits): a link nobody can guess or enumerate."""
    return secrets.token_urlsafe(12)


def refresh_keys(enterprise: Enterprise) -> None:
    enterprise.name_key = normalise_company(enterprise.name or "")
    enterprise.latin_key = normalise_company(enterprise.name_latin or "")


def matching_enterprise(*names: str | None) -> Enterprise | None:
    """The park enterprise these company names (Chinese and Latin) denote: one the matcher would
    merge, or suggest for names alike (a place or trade left out, a spelling), not for a group's
    other firm. A referral of it is refused, which costs no data if it is wrong."""
    given = [name for name in names if name]
    if not given:
        return None
    wanted = Firm(given[0], given[1] if len(given) > 1 else "")
    best: tuple[int, int] | None = None
    for ent_id, name, latin in db.session.execute(
        select(Enterprise.id, Enterprise.name, Enterprise.name_latin)
    ):
        verdict = compare(wanted, Firm(name or "", latin or ""))
        if verdict.score >= ALIKE_SCORE and (best is None or verdict.score > best[0]):
            best = (verdict.score, ent_id)
    return db.session.get(Enterprise, best[1]) if best else None


def normalise_address(email: str) -> str:
    return email.strip().lower()


# -- portal sign-in links ------------------------------------------------------------------
# Only a hash of the token is stored; the link is single-use and short-lived. An invitation
# lives longer than a link asked for at the sign-in page, since it may wait in an inbox.


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(contact: EnterpriseContact, purpose: str) -> str:
    config = current_app.config
    lifetime = (
        timedelta(hours=config["PORTAL_INVITE_HOURS"])
        if purpose == "invite"
        else timedelta(minutes=config["PORTAL_LINK_MINUTES"])
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        PortalLink(
            contact_id=contact.id,
            token_hash=_hash(token),
            purpose=purpose,
            expires_at=utcnow() + lifetime,
        )
    )
    return token


def valid_link(token: str) -> PortalLink | None:
    """The unused, unexpired link of an active contact this token opens, else None."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(select(PortalLink).where(PortalLink.token_hash == _hash(token)))
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    if not link.contact.active:
        return None
    return link


def redeem(token: str) -> EnterpriseContact | None:
    """Use the link once: of two requests racing with the same token, only one signs in."""
    link = valid_link(token)
    if link is None:
        return None
    used = db.session.execute(
        update(PortalLink)
        .where(PortalLink.id == link.id, PortalLink.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:
        return None
    contact = link.contact
    contact.last_sign_in_at = utcnow()
    record("sign_in", contact, actor=f"contact:{contact.id}")
    return contact


def _link_url(contact: EnterpriseContact, token: str) -> str:
    return external_url("site.portal_link", lang=contact.language, token=token)


def queue_link_email(contact: EnterpriseContact, purpose: str):
    """Queue the email carrying a fresh sign-in link, in the contact's language."""
    token = issue_link(contact, purpose)
    url = _link_url(contact, token)
    config = current_app.config
    with force_locale(contact.language):
        if purpose == "invite":
            subject = gettext("Your access to the Qingyuan Industrial Port enterprise portal")
        else:
            subject = gettext("Your sign-in link to the enterprise portal")
        body = render_template(
            "mail/portal_link.txt",
            contact=contact,
            purpose=purpose,
            url=url,
            minutes=config["PORTAL_LINK_MINUTES"],
            hours=config["PORTAL_INVITE_HOURS"],
            enterprise=contact.enterprise.display_name(contact.language),
        )
    return outbox.queue(
        kind=f"portal_{purpose}", to=contact.email, language=contact.language,
        subject=subject, body=body,
    )  # fmt: skip


def invite(contact: EnterpriseContact):
    contact.invited_at = utcnow()
    email = queue_link_email(contact, "invite")
    record("invite", contact)
    return email


def request_link(address: str):
    """A sign-in link for an active contact; for any other address nothing, and no sign of it."""
    contact = db.session.scalar(
        select(EnterpriseContact).where(EnterpriseContact.email == normalise_address(address))
    )
    if contact is None or not contact.active:
        return None
    return queue_link_email(contact, "sign_in")


def client_address() -> str:
    return request.remote_addr or "unknown"


# -- demo and first data ---------------------------------------------------------------------


def load_enterprises() -> int:
    """Create the enterprises of content/data/enterprises.yaml not yet in the database.

    Once created, a record is the bureau's (kept in the CRM): loading again never overwrites it.
    """
    created = 0
    existing = set(db.session.scalars(select(Enterprise.slug)))
    plots = {p.code: p for p in db.session.scalars(select(Plot))}
    for item in get_content()["enterprises"]["enterprises"]:
        if item["slug"] in existing:
            continue
        firm = Enterprise(slug=item["slug"], referral_code=new_referral_code())
        db.session.add(firm)
        created += 1
        firm.name = item["name"]["zh"]
        firm.name_latin = item["name"]["en"]
        firm.industry = item["industry"]
        firm.zone = item["zone"]
        firm.year_entered = item["year_entered"]
        firm.employees = item.get("employees")
        firm.local_hires = item.get("local_hires")
        firm.summary = dict(item["summary"])
        firm.listed = item.get("listed", True)
        firm.plots = [plots[code] for code in item.get("plots", ()) if code in plots]
        refresh_keys(firm)
    db.session.commit()
    return created
