"""The lead list at /crm/leads: filtered, searched, sorted, keyset pages, totals, saved filters."""

from urllib.parse import parse_qs

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only, selectinload
from werkzeug.datastructures import MultiDict

from core import search
from core.choices import industry_name
from core.code_names import named_leads, sees_name
from core.countries import country_names
from core.extensions import db
from core.i18n import LANGUAGES, current_language
from core.models import Contact, Event, Lead, ListItem, SavedFilter, Team, User
from core.stages import LEAD_STAGE_LABELS
from crm.leads import bp, filters
from crm.leads.bulk_actions import ACTION_PERMISSIONS, ACTIONS
from crm.leads.columns import COLUMNS, chosen_columns
from crm.permissions import allowed, require, visible_leads

MAX_SAVED_NAME = 80
MAX_SAVED_FILTERS = 50
SOURCE_LABELS = {
    "website": _l("Website"),
    "event": _l("Event"),
    "referral": _l("Referral"),
    "import": _l("Import"),
    "manual": _l("Entered by staff"),
}
BAND_LABELS = {
    "lt50m": _l("Under CNY 50 million"),
    "50m-200m": _l("CNY 50 to 200 million"),
    "200m-500m": _l("CNY 200 to 500 million"),
    "500m-1b": _l("CNY 500 million to 1 billion"),
    "gte1b": _l("CNY 1 billion or more"),
}
SORT_LABELS = {
    "created": _l("Created"),
    "company": _l("Company"),
    "stage": _l("Stage"),
    "investment": _l("Planned investment"),
    "last_contact": _l("Last contact"),
}


def lead_query() -> filters.LeadQuery:
    query = filters.parse(request.args, visible_leads())
    named = named_leads(current_user)
    if query.searching and named is not None:
        query.where.append(named)  # a search by name must not tell whose code name is whose
    return query


# Only what a row shows and its page cursor needs: loading whole leads (search text, JSON
# columns) cost more than the query that finds them.
LOAD_OPTIONS = (
    load_only(
        Lead.company_name,
        Lead.company_name_latin,
        Lead.code_name,
        Lead.stage,
        Lead.country,
        Lead.industry,
        Lead.planned_investment,
        Lead.investment_min,
        Lead.created_at,
        Lead.last_contact_at,
        Lead.owner_id,
        Lead.team_id,
        Lead.liaison_id,
        Lead.confidential,
        raiseload=True,
    ),
    joinedload(Lead.owner).load_only(User.name, raiseload=True),
    joinedload(Lead.team).load_only(Team.name, Team.name_en, raiseload=True),
    selectinload(Lead.contacts).load_only(
        Contact.lead_id, Contact.name, Contact.email, Contact.phone, raiseload=True
    ),
)


def load_page(query: filters.LeadQuery) -> tuple[list[Lead], bool, bool, tuple]:
    """One page of leads, whether there are pages before and after it, and (count, sum); both
    None for a search matching more than filters.TOTALS_CAP leads (unless asked for them)."""
    backwards = query.before is not None
    leads, totals = _searched(query) if query.searching else (None, None)
    if leads is None:
        statement = (
            select(Lead)
            .where(*query.where)
            .options(*LOAD_OPTIONS)
            .order_by(*query.order_by(reverse=backwards))
            .limit(filters.PAGE_SIZE + 1)
        )
        condition = query.page_condition()
        if condition is not None:
            statement = statement.where(condition)
        leads = list(db.session.scalars(statement).unique())
    if totals is None and not query.common:
        totals = tuple(db.session.execute(filters.totals(query)).one())
    totals = totals or (None, None)
    more = len(leads) > filters.PAGE_SIZE
    leads = leads[: filters.PAGE_SIZE]
    if backwards:
        leads.reverse()
        return leads, more, True, totals
    return leads, query.after is not None, more, totals


def _searched(query: filters.LeadQuery) -> tuple[list[Lead] | None, tuple | None]:
    """A search's page and totals from one windowed statement over at most TOTALS_CAP + 1
    matches; (None, None) with query.common set when more match (the caller pages by index)."""
    with search.trigram_first(db.session):
        found = db.session.execute(filters.searched_page(query)).all()
    if found:
        over = found[0].count > filters.TOTALS_CAP and not query.exact_totals
        totals = (found[0].count, found[0].amount)
    else:
        # An empty page (past the end) carries no totals: count them apart, as far as the cap.
        with search.trigram_first(db.session):
            totals = tuple(db.session.execute(filters.totals(query, capped=True)).one())
        over = totals[0] > filters.TOTALS_CAP and not query.exact_totals
    if over:
        query.common = True
        return None, None
    if not found:
        return [], totals
    by_id = {
        lead.id: lead
        for lead in db.session.scalars(
            select(Lead).where(Lead.id.in_([row.id for row in found])).options(*LOAD_OPTIONS)
        ).unique()
    }
    return [by_id[row.id] for row in found if row.id in by_id], totals


def _filter_choices() -> dict:
    staff = db.session.execute(
        select(User.id, User.name)
        .where(User.active.is_(True), User.role.in_(("admin", "manager", "officer")))
        .order_by(User.name)
    ).all()
    industries = db.session.scalars(
        select(ListItem).where(ListItem.kind == "industry").order_by(ListItem.position)
    ).all()
    return {
        "stages": LEAD_STAGE_LABELS,
        "sources": SOURCE_LABELS,
        "languages": LANGUAGES,
        "bands": BAND_LABELS,
        "sorts": SORT_LABELS,
        "staff": staff,
        "teams": db.session.execute(select(Team.id, Team.name).order_by(Team.name)).all(),
        "events": [
            (event.id, event.text("name", current_language()))
            for event in db.session.scalars(select(Event).order_by(Event.starts_on.desc()))
        ],
        "industries": industries,
        "countries": country_names(current_language()),
    }


@bp.route("/leads")
@require("lead.view")
def leads():
    query = lead_query()
    rows, has_previous, has_next, (count, amount) = load_page(query)
    saved = db.session.scalars(
        select(SavedFilter).where(SavedFilter.user_id == current_user.id).order_by(SavedFilter.name)
    ).all()
    return render_template(
        "crm/leads/list.html",
        query=query,
        leads=rows,
        previous_url=_page_url(query, before=rows[0]) if has_previous and rows else None,
        next_url=_page_url(query, after=rows[-1]) if has_next and rows else None,
        count=count,
        amount=amount,
        count_cap=filters.TOTALS_CAP,
        # Past the cap the exact figures are a click away (they read every match).
        exact_totals_url=url_for("crm.leads.leads") + "?" + query.url_args(totals="all"),
        saved=saved,
        can_export=allowed("lead.export"),
        bulk_actions=bulk_actions_for_user(),
        lead_url=lead_url,
        column_labels=COLUMNS,
        columns=chosen_columns(current_user),
        sees_name=lambda lead: sees_name(lead, current_user),
        industry_name=industry_name,
        **_filter_choices(),
    )


def bulk_actions_for_user() -> dict:
    """The bulk actions the user's role may start (each lead is checked again when run)."""
    if not allowed("lead.edit"):
        return {}
    return {
        code: label
        for code, label in ACTIONS.items()
        if code not in ACTION_PERMISSIONS or allowed(ACTION_PERMISSIONS[code])
    }


def lead_url(lead_id: int) -> str:
    # Built once per request and filled in per row: url_for on every row was a tenth of the page.
    if "lead_url_pattern" not in g:
        g.lead_url_pattern = url_for("crm.leads.lead", lead_id=2**31 - 1).replace(
            str(2**31 - 1), "{}"
        )
    return g.lead_url_pattern.format(lead_id)


def _page_url(query: filters.LeadQuery, **edge: Lead) -> str:
    """The link to the page after (or before) the given row."""
    ((direction, lead),) = edge.items()
    return url_for("crm.leads.leads") + "?" + query.url_args(**{direction: query.cursor(lead)})


def _clean_query(raw: str) -> str:
    """Keep only the filter's own keys, as the list would read them."""
    args = MultiDict([(k, v) for k, vs in parse_qs(raw[:4000]).items() for v in vs])
    return filters.parse(args, visible_leads()).query_string


@bp.route("/leads/filters", methods=["POST"])
@require("lead.view")
def save_filter():
    name = " ".join(request.form.get("name", "").split())
    query = _clean_query(request.form.get("query", ""))
    target = url_for("crm.leads.leads") + (f"?{query}" if query else "")
    if not name or len(name) > MAX_SAVED_NAME:
        flash(
            gettext("Give the filter a name of 1 to %(count)d characters.", count=MAX_SAVED_NAME),
            "error",
        )
        return redirect(target)
    mine = db.session.scalars(select(SavedFilter).where(SavedFilter.user_id == current_user.id))
    mine = list(mine)
    same = next((f for f in mine if f.name == name), None)
    if same is None and len(mine) >= MAX_SAVED_FILTERS:
        flash(gettext("You can keep up to %(count)d filters.", count=MAX_SAVED_FILTERS), "error")
        return redirect(target)
    if same is None:
        db.session.add(SavedFilter(user_id=current_user.id, name=name, query=query))
    else:
        same.query = query
    db.session.flush()
    flash(gettext("Filter “%(name)s” saved.", name=name), "success")
    return redirect(target)


@bp.route("/leads/filters/<id:filter_id>/delete", methods=["POST"])
@require("lead.view")
def delete_filter(filter_id: int):
    saved = db.session.get(SavedFilter, filter_id)
    if saved is None or saved.user_id != current_user.id:
        abort(404)
    db.session.delete(saved)
    db.session.flush()
    flash(gettext("Filter “%(name)s” deleted.", name=saved.name), "success")
    return redirect(url_for("crm.leads.leads"))
