"""Export of the lead list's current filtered set as CSV or XLSX, logged with the leads it held."""

from zoneinfo import ZoneInfo

from flask import abort, current_app, g, request
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, insert, literal, select

from core import audit
from core.exports import download
from core.extensions import db
from core.i18n import current_language
from core.models import Contact, Export, Lead, Team, User, export_lead
from core.models.base import utcnow
from crm.leads import bp
from crm.leads.listing import lead_query
from crm.permissions import require

FORMATS = ("csv", "xlsx")


def _header() -> list[str]:
    return [
        gettext("ID"),
        gettext("Code name"),
        gettext("Company"),
        gettext("Company (Latin)"),
        gettext("Stage"),
        gettext("Owner"),
        gettext("Team"),
        gettext("Source"),
        gettext("Country"),
        gettext("Industry"),
        gettext("Planned investment (CNY)"),
        gettext("Language"),
        gettext("Created"),
        gettext("Last contact"),
        gettext("Contact name"),
        gettext("Contact email"),
        gettext("Contact phone"),
    ]


def _rows(export_id: int):
    """The exported leads, read through the export's own lead list so file and log agree."""
    zone = ZoneInfo(g.get("timezone") or current_app.config["BABEL_DEFAULT_TIMEZONE"])
    first_contact = (
        select(Contact.lead_id, func.min(Contact.id).label("contact_id"))
        .group_by(Contact.lead_id)
        .subquery()
    )
    statement = (
        select(
            Lead.id,
            Lead.code_name,
            Lead.company_name,
            Lead.company_name_latin,
            Lead.stage,
            User.name,
            # The team as the reader names it (its English name for English staff, if it has one).
            Team.name if current_language() == "zh" else func.coalesce(Team.name_en, Team.name),
            Lead.source,
            Lead.country,
            Lead.industry,
            func.coalesce(Lead.planned_investment, Lead.investment_min),
            Lead.language,
            Lead.created_at,
            Lead.last_contact_at,
            Contact.name,
            Contact.email,
            Contact.phone,
        )
        .join(export_lead, export_lead.c.lead_id == Lead.id)
        .outerjoin(User, User.id == Lead.owner_id)
        .outerjoin(Team, Team.id == Lead.team_id)
        .outerjoin(first_contact, first_contact.c.lead_id == Lead.id)
        .outerjoin(Contact, Contact.id == first_contact.c.contact_id)
        .where(export_lead.c.export_id == export_id)
        .order_by(Lead.id)
        .execution_options(yield_per=2000)
    )
    for row in db.session.execute(statement):
        row = list(row)
        for i in (12, 13):  # times in the exporter's zone: spreadsheets know no time zones
            if row[i] is not None:
                row[i] = row[i].astimezone(zone)
        yield row


@bp.route("/leads/export", methods=["POST"])
@require("lead.export")
def export_leads():
    fmt = request.form.get("format", "")
    if fmt not in FORMATS:
        abort(400)
    query = lead_query()
    return export_download(fmt, query.where, query.query_string)


def export_download(fmt: str, where: list, query: str):
    """The download of the leads matching `where`, logged as one export (the list's filter, or a
    bulk selection of leads)."""
    export = Export(user_id=current_user.id, format=fmt, query=query)
    db.session.add(export)
    db.session.flush()
    # One INSERT … SELECT records every exported lead, however many: no rows through Python.
    db.session.execute(
        insert(export_lead).from_select(
            ["export_id", "lead_id"], select(literal(export.id), Lead.id).where(*where)
        )
    )
    export.row_count = db.session.scalar(
        select(func.count()).select_from(export_lead).where(export_lead.c.export_id == export.id)
    )
    audit.record(
        "export",
        export,
        {"format": [None, fmt], "rows": [None, export.row_count], "query": [None, export.query]},
    )
    filename = f"leads-{utcnow():%Y%m%d-%H%M}.{fmt}"
    return download(fmt, filename, _header(), _rows(export.id))
