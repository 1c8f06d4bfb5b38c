"""The triage page, attaching a mail to a lead, and creating a lead from a mail."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, or_, select

from core.code_names import code_name, lead_id_of_code
from core.extensions import db
from core.forms import Form
from core.mail_in.thread import attach
from core.models import Contact, InboundMail, Lead
from core.permissions import visible_leads
from crm.inbox import bp
from crm.leads.detail import lead_from_form, new_lead_form
from crm.permissions import get_lead_or_404, require

SHOWN = 100  # the oldest first: they have waited longest
RAW_SHOWN = 5000  # characters of an unreadable mail's bytes shown to read it by eye


def _waiting():
    return db.session.scalars(
        select(InboundMail)
        .where(InboundMail.status.in_(("triage", "failed")))
        .order_by(InboundMail.fetched_at, InboundMail.id)
        .limit(SHOWN)
    ).all()


def _suggestions(mail: InboundMail) -> list[Lead]:
    """Leads the sender (or someone of the sender's domain) is a contact of, that the user sees."""
    address = mail.from_address
    if "@" not in address:
        return []
    domain = "%@" + address.rpartition("@")[2]
    senders = select(Contact.lead_id).where(
        or_(func.lower(Contact.email) == address, func.lower(Contact.email).like(domain))
    )
    return list(
        db.session.scalars(
            select(Lead)
            .where(
                Lead.id.in_(senders),
                Lead.merged_into_id.is_(None),
                Lead.anonymised_at.is_(None),
                visible_leads(),
            )
            .order_by(Lead.id.desc())
            .limit(5)
        )
    )


def _raw_text(mail: InboundMail) -> str:
    return (mail.raw or b"")[: RAW_SHOWN * 4].decode("utf-8", "replace")[:RAW_SHOWN]


@bp.route("/inbox")
@require("mail.triage")
def inbox():
    mails = _waiting()
    return render_template(
        "crm/inbox/inbox.html",
        mails=mails,
        suggestions={mail.id: _suggestions(mail) for mail in mails},
        raw_text=_raw_text,
        form=Form(),
    )


def _waiting_mail_or_404(mail_id: int) -> InboundMail:
    mail = db.session.get(InboundMail, mail_id)
    if mail is None or mail.status not in ("triage", "failed"):
        abort(404)
    return mail


def _lead_by_reference(reference: str) -> int | None:
    """A lead named by its number (as in its address) or its code name."""
    reference = reference.strip().lstrip("#")
    if reference.isdigit() and len(reference) < 12:
        return int(reference)
    if not reference:
        return None
    stored = db.session.scalar(select(Lead.id).where(Lead.code_name == reference))
    return stored if stored is not None else lead_id_of_code(reference)  # 水獭-00054 too


@bp.route("/inbox/<id:mail_id>/attach", methods=["POST"])
@require("mail.triage")
def inbox_attach(mail_id: int):
    mail = _waiting_mail_or_404(mail_id)
    if not Form().validate_on_submit():
        abort(400)
    lead_id = _lead_by_reference(request.form.get("lead", ""))
    visible = lead_id and db.session.scalar(
        select(Lead.id).where(Lead.id == lead_id, Lead.merged_into_id.is_(None), visible_leads())
    )
    if not visible:
        flash(gettext("No lead you can see has this number or code name."), "error")
        return redirect(url_for("crm.inbox.inbox"))
    lead = get_lead_or_404(lead_id, "activity.create")
    attach(mail, lead, current_user)
    db.session.flush()
    flash(gettext("The mail is now on the lead's timeline."), "success")
    return redirect(url_for("crm.leads.lead", lead_id=lead.id))


@bp.route("/inbox/<id:mail_id>/lead", methods=["GET", "POST"])
@require("lead.create")
def inbox_new_lead(mail_id: int):
    """The new-lead form filled from the mail's sender; saving it puts the mail on the lead."""
    mail = _waiting_mail_or_404(mail_id)
    form = new_lead_form(
        source="manual",
        name=mail.from_name or mail.from_address.partition("@")[0],
        email=mail.from_address,
    )
    lead = lead_from_form(form)
    if lead is not None:
        attach(mail, lead, current_user)
        db.session.flush()
        flash(gettext("The lead %(code)s was created.", code=code_name(lead)), "success")
        return redirect(url_for("crm.leads.lead", lead_id=lead.id))
    return render_template("crm/leads/new.html", form=form)
