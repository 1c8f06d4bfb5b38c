"""One row of the review on its own page: beside its match, and pointed at another row of the
file or at any lead (a search picker, answered as you type through htmx), or kept apart."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core.audit import record
from core.extensions import db
from core.imports.jobs import pointed_at
from core.imports.review_store import review_checks
from core.models import Lead
from crm.imports import bp
from crm.imports.choices import plain_choices, refusal, store, stored_choice
from crm.imports.common import choice_label, draft_and_table, job_or_404
from crm.imports.compare import compare
from crm.imports.forms import ActionForm
from crm.imports.review import PAGE_SIZE, visible_lead_ids
from crm.permissions import can, require, visible_leads

PICKED = 10  # leads the picker lists at most
MAX_QUERY = 100


def _job_and_checks(job_id: int):
    """(job, checks, None), or (job, None, where to go): run already, file gone, still matching."""
    inline = job_or_404(job_id).total <= current_app.config["IMPORT_INLINE_ROWS"]
    job, table, elsewhere = draft_and_table(job_id, read=inline)
    if elsewhere is not None:
        return job, None, elsewhere
    checks = review_checks(job, current_user._get_current_object(), table=table)
    if checks is None:
        return job, None, redirect(url_for("crm.imports.import_review", job_id=job.id))
    return job, checks, None


def find_leads(query: str) -> list[Lead]:
    """Leads the user may merge rows into whose name, contacts or code name hold the text."""
    text = " ".join(query.split())[:MAX_QUERY].lower()
    if not text:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    leads = db.session.scalars(
        select(Lead)
        .where(
            Lead.merged_into_id.is_(None),
            visible_leads(),
            or_(
                Lead.search_text.like(pattern, escape="\\"),
                Lead.company_name.like(pattern, escape="\\"),
            ),
        )
        .options(selectinload(Lead.owner))
        .order_by(Lead.company_name, Lead.id)
        .limit(PICKED * 3)  # some may be others' leads, which no row may merge into
    )
    return [lead for lead in leads if can("lead.edit", lead)][:PICKED]


def _chosen_lead(job, check) -> Lead | None:
    target = pointed_at(stored_choice(job, check))
    if target is None or target[0] != "lead":
        return None
    return db.session.get(Lead, target[1])


def _back(job, number: int) -> str:
    """The review's page that lists the row, at the row."""
    page = (number - 1) // PAGE_SIZE + 1
    return url_for("crm.imports.import_review", job_id=job.id, show="all", page=page) + (
        f"#row-{number}"
    )


def _render(job, check, checks, problem: str = "", status: int = 200):
    query = request.values.get("q", "")[:MAX_QUERY]
    visible = visible_lead_ids([check])
    chosen = _chosen_lead(job, check)
    found = find_leads(query)
    if chosen is not None and chosen not in found:
        found.insert(0, chosen)
    return render_template(
        "crm/imports/row.html",
        job=job,
        check=check,
        comparison=compare([check], checks, job, visible).get(check.number),
        choices=plain_choices(check),
        current=stored_choice(job, check),
        choice_label=choice_label,
        query=query,
        leads=found,
        problem=problem,
        form=ActionForm(),
        back=_back(job, check.number),
    ), status


def _check_of(checks, number: int):
    check = next((c for c in checks if c.number == number), None)
    if check is None or check.blocking:
        abort(404)  # no such row, or one whose problems leave it nothing to decide
    return check


def _value_from_form(check) -> tuple[str | None, str]:
    """(the choice to store, or None with why) from the row page's form."""
    choice = request.form.get("choice", "")
    if choice == "default":
        return check.default, ""
    if choice == "row":
        raw = request.form.get("row_number", "").strip()
        if not raw.isdigit() or not 0 < int(raw) < 2**31:
            return None, gettext("Enter the number of the row this one belongs to.")
        return f"row:{int(raw)}", ""
    if not choice:
        return None, gettext("Choose what happens to this row.")
    return choice, ""


@bp.route("/imports/<id:job_id>/review/rows/<id:number>", methods=["GET", "POST"])
@require("lead.import")
def import_review_row(job_id: int, number: int):
    job, checks, elsewhere = _job_and_checks(job_id)
    if elsewhere is not None:
        return elsewhere
    check = _check_of(checks, number)
    if request.method == "GET":
        return _render(job, check, checks)
    if not ActionForm().validate_on_submit():
        abort(400)
    value, problem = _value_from_form(check)
    problem = problem or refusal(value, check, checks)
    if problem:
        return _render(job, check, checks, problem, status=400)
    changed: tuple[dict, dict] = ({}, {})
    store(job, check, value, checks, changed)
    if changed[0]:
        record("update", job, {"decisions": list(changed)})
    db.session.flush()
    flash(
        gettext("Row %(row)d: %(choice)s.", row=number, choice=choice_label(value, check)),
        "success",
    )
    return redirect(_back(job, number))


@bp.route("/imports/<id:job_id>/review/leads")
@require("lead.import")
def import_lead_picker(job_id: int):
    """The picker's results alone, for htmx as the person types (the row page itself also lists
    them when its search form is sent without JavaScript)."""
    job_or_404(job_id)  # the picker belongs to an import the user may see
    query = request.args.get("q", "")[:MAX_QUERY]
    return render_template(
        "crm/imports/_lead_picker.html", query=query, leads=find_leads(query), current=""
    )
