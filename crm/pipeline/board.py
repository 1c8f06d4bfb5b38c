"""The pipeline board: a column per stage with its count and sum, the newest cards in each,
narrowed by a quick filter (owner, team, event, text) given as GET parameters."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from flask import render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from core.code_names import named_leads
from core.extensions import db
from core.i18n import current_language, money, money_compact, number
from core.models import LEAD_STAGES, Event, Lead, Team
from core.models.base import utcnow
from core.stages import lead_stage_label
from crm.permissions import allowed, require, visible_leads
from crm.pipeline import bp
from crm.pipeline.shared import active_staff, optional_url, parse_int

# Cards shown per column; "show all" opens one column up to the larger cap (a fair brings
# about 200 leads at once), and the lead list holds the rest.
CARDS_PER_COLUMN = 25
CARDS_WHEN_EXPANDED = 500
MAX_TEXT = 100
estimate = func.coalesce(Lead.planned_investment, Lead.investment_min)


FILTER_PROBLEMS = {
    "owner": _l("The owner filter was not understood and was ignored."),
    "team": _l("The team filter was not understood and was ignored."),
    "event": _l("The event filter was not understood and was ignored."),
}


def _by_id(raw: str, column, key: str, clauses: list, chosen: dict, problems: list) -> None:
    """One filter by a record's number (owner, team, event); a value that is none is named."""
    number = parse_int(raw)
    if number is None:
        problems.append(str(FILTER_PROBLEMS[key]))
        return
    clauses.append(column == number)
    chosen[key] = str(number)


def board_filters(args: MultiDict) -> tuple[list, dict, list[str]]:
    """WHERE clauses for the chosen owner, team, event and text, the choices, and any problems."""
    clauses = [visible_leads(), Lead.merged_into_id.is_(None)]
    chosen = {"owner": "", "team": "", "event": "", "q": ""}
    problems = []
    owner = args.get("owner", "")
    if owner == "me":
        clauses.append(Lead.owner_id == current_user.id)
        chosen["owner"] = "me"
    elif owner:
        _by_id(owner, Lead.owner_id, "owner", clauses, chosen, problems)
    team = args.get("team", "")
    if team == "mine" and current_user.team_id is not None:
        clauses.append(Lead.team_id == current_user.team_id)
        chosen["team"] = "mine"
    elif team:
        _by_id(team, Lead.team_id, "team", clauses, chosen, problems)
    if event := args.get("event", ""):
        _by_id(event, Lead.event_id, "event", clauses, chosen, problems)
    text = " ".join(args.get("q", "").split())
    if len(text) > MAX_TEXT:
        problems.append(
            gettext(
                "The search text is longer than %(count)d characters and was ignored.",
                count=MAX_TEXT,
            )
        )
    elif text:
        clauses.append(_text_clause(text))
        chosen["q"] = text
    return clauses, chosen, problems


def _text_clause(text: str):
    """Part of a name or code name, any case; a company's name only where the user sees it
    (a name search must not tell whose code name is whose)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    by_name = or_(
        func.lower(Lead.company_name).like(pattern, escape="\\"),
        func.lower(Lead.company_name_latin).like(pattern, escape="\\"),
    )
    named = named_leads(current_user)
    if named is not None:
        by_name = and_(by_name, named)
    return or_(by_name, func.lower(Lead.code_name).like(pattern, escape="\\"))


def filters_from_url(url: str) -> list:
    """The board's filters from the address a move form came from (for refreshed totals)."""
    query = parse_qs(urlsplit(url).query)
    return board_filters(MultiDict([(k, v) for k, vs in query.items() for v in vs]))[0]


def column_summary(clauses: list) -> dict[str, dict]:
    """Count and summed investment per stage, in one aggregate query, formatted for display."""
    rows = db.session.execute(
        select(Lead.stage, func.count(Lead.id), func.sum(estimate))
        .where(*clauses)
        .group_by(Lead.stage)
    ).all()
    found = {stage: (count, total) for stage, count, total in rows}
    summary = {}
    for stage in LEAD_STAGES:
        count, total = found.get(stage, (0, None))
        summary[stage] = {
            "count": count,
            "count_text": ngettext("%(shown)s lead", "%(shown)s leads", count, shown=number(count)),
            "total_text": money_compact(total or 0),
            "total_exact": money(total or 0),
        }
    return summary


def column_cards(clauses: list, expanded: str = "") -> dict[str, list[Lead]]:
    """The newest leads of every stage (CARDS_PER_COLUMN each, more in the expanded column),
    fetched in one statement."""
    newest = [
        select(Lead.id)
        .where(*clauses, Lead.stage == stage)
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(CARDS_WHEN_EXPANDED if stage == expanded else CARDS_PER_COLUMN)
        .subquery()
        for stage in LEAD_STAGES
    ]
    ids = union_all(*(select(part.c.id) for part in newest))
    leads = db.session.scalars(
        select(Lead)
        .options(joinedload(Lead.owner))
        .where(Lead.id.in_(ids))
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    ).all()
    cards: dict[str, list[Lead]] = {stage: [] for stage in LEAD_STAGES}
    for lead in leads:
        cards[lead.stage].append(lead)
    return cards


def days_in_stage(lead: Lead, now) -> int:
    return max(0, (now - lead.stage_changed_at) // timedelta(days=1))


def response_overdue(lead: Lead, now) -> bool:
    return (
        lead.first_response_at is None
        and lead.response_due_at is not None
        and lead.response_due_at < now
        and lead.stage != "lost"
    )


@bp.route("/board")
@require("lead.view")
def board():
    clauses, chosen, problems = board_filters(request.args)
    expanded = request.args.get("show", "")
    if expanded and expanded not in LEAD_STAGES:
        problems.append(gettext("There is no such column; the board shows its usual cards."))
        expanded = ""
    summary = column_summary(clauses)
    cards = column_cards(clauses, expanded)
    # The lead list knows owners and teams by id only.
    list_filters = {
        "owner": current_user.id if chosen["owner"] == "me" else chosen["owner"],
        "team": current_user.team_id if chosen["team"] == "mine" else chosen["team"],
        "event": chosen["event"],
        "q": chosen["q"],
    }
    list_filters = {key: value for key, value in list_filters.items() if value}
    board_args = {key: value for key, value in chosen.items() if value}
    columns = [
        {
            "stage": stage,
            "label": lead_stage_label(stage),
            "cards": cards[stage],
            "hidden": summary[stage]["count"] - len(cards[stage]),
            "expanded": stage == expanded,
            "show_all_url": url_for("crm.pipeline.board", show=stage, **board_args)
            + f"#column-{stage}",
            "more_url": optional_url("crm.leads.leads", stage=stage, **list_filters),
            **summary[stage],
        }
        for stage in LEAD_STAGES
    ]
    teams = (
        db.session.scalars(select(Team).order_by(Team.name)).all() if allowed("lead.assign") else []
    )
    events = db.session.scalars(select(Event).order_by(Event.starts_on.desc())).all()
    return render_template(
        "crm/pipeline/board.html",
        columns=columns,
        chosen=chosen,
        problems=problems,
        officers=active_staff("officer") if allowed("lead.assign") else [],
        teams=teams,
        events=[(event.id, event.text("name", current_language())) for event in events],
        filtered=bool(board_args),
        now=utcnow(),
        days_in_stage=days_in_stage,
        response_overdue=response_overdue,
        board_url=request.full_path.rstrip("?"),
    )
