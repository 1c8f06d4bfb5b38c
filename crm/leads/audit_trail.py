"""A lead's raw audit entries (its own, its contacts', those of leads merged into it): the full
record one click behind the timeline's sentences."""

from flask import render_template
from sqlalchemy import and_, or_, select

from core.extensions import db
from core.models import AuditEntry, Contact, Lead, User
from crm.leads import bp
from crm.permissions import get_lead_or_404, require


@bp.route("/leads/<id:lead_id>/audit")
@require("lead.audit")
def lead_audit(lead_id: int):
    lead = get_lead_or_404(lead_id, "lead.audit")
    lead_ids = [lead.id, *db.session.scalars(select(Lead.id).where(Lead.merged_into_id == lead.id))]
    contact_ids = select(Contact.id).where(Contact.lead_id.in_(lead_ids))
    entries = db.session.scalars(
        select(AuditEntry)
        .where(
            or_(
                and_(AuditEntry.entity_type == "Lead", AuditEntry.entity_id.in_(lead_ids)),
                and_(AuditEntry.entity_type == "Contact", AuditEntry.entity_id.in_(contact_ids)),
            )
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).all()
    ids = {
        int(e.actor[5:]) for e in entries if e.actor.startswith("user:") and e.actor[5:].isdigit()
    }
    users = {
        f"user:{u.id}": u.name for u in db.session.scalars(select(User).where(User.id.in_(ids)))
    }
    return render_template("crm/leads/audit.html", lead=lead, entries=entries, users=users)
