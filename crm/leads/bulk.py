"""Bulk actions on the lead list: the selection (ticked leads, or every lead matching the filter),
the action's options and its preview, then the run as one request (or, for a large selection,
on the job worker), one audit entry per lead."""

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from core.extensions import db
from core.i18n import LANGUAGES
from core.models import Lead, ListItem, Team
from core.stages import LEAD_STAGE_LABELS
from crm.activities.forms import TEMPLATE_LABELS
from crm.leads import bp, bulk_actions, bulk_jobs
from crm.leads.bulk_actions import ACTION_PERMISSIONS, ACTIONS, ASSIGN_MODES
from crm.leads.export import export_download
from crm.leads.listing import lead_query
from crm.permissions import allowed, require

# One request does the work up to where that stays quick (measured on PostgreSQL): assigning or
# tagging 1,000 leads takes about 1.5 s; a stage move or an email goes lead by lead through the
# single-lead operation (history, referrals, timeline, each flushed), 250 in under 2 s, but
# 1,000 in 9-19 s. A larger selection goes to the job worker (crm/leads/bulk_jobs.py).
MAX_BULK = 1000
ACTION_LIMITS = {"stage": 250, "email": 250}
# The preview still loads and checks every lead in the request: past this, narrow the filter.
MAX_QUEUED = 20000
MAX_SHOWN = 200


class Selection:
    """The leads chosen on the list: ticked ones (`lead`), or all matching the filter (`scope`)."""

    def __init__(self, values, action: str | None):
        limit = MAX_QUEUED
        self.query = lead_query()
        self.all = values.get("scope") == "all"
        raw = values.getlist("lead")[: limit + 1]
        self.ids = sorted({int(v) for v in raw if v.isdigit() and len(v) < 10})
        self.problems: list[str] = []
        where = list(self.query.where)
        if not self.all:
            where.append(Lead.id.in_(self.ids))
        self.where = where
        self.count = db.session.scalar(select(func.count()).select_from(Lead).where(*where))
        # Too many for one request: the worker runs it (an export is a download: it stays here).
        in_request = ACTION_LIMITS.get(action, MAX_BULK)
        self.queued = action != "export" and self.count > in_request
        if self.count == 0:
            self.problems.append(gettext("Select at least one lead."))
        elif self.count > limit or len(raw) > limit:
            self.problems.append(
                gettext(
                    "%(num)s leads are selected; a bulk action takes at most %(max)s at a time. "
                    "Narrow the filter.",
                    num=self.count,
                    max=limit,
                )
            )

    def leads(self) -> list[Lead]:
        return list(
            db.session.scalars(
                select(Lead)
                .where(*self.where)
                .options(selectinload(Lead.contacts), joinedload(Lead.owner))
                .order_by(Lead.id)
            ).unique()
        )

    def fields(self) -> list[tuple[str, str]]:
        """The hidden inputs that carry the selection to the next step."""
        chosen = [("scope", "all")] if self.all else [("lead", str(i)) for i in self.ids]
        return chosen

    def list_url(self) -> str:
        query = self.query.query_string
        return url_for("crm.leads.leads") + (f"?{query}" if query else "")


def _choices() -> dict:
    return {
        "actions": ACTIONS,
        "modes": ASSIGN_MODES,
        "officers": bulk_actions.active_officers(),
        "teams": db.session.execute(select(Team.id, Team.name).order_by(Team.name)).all(),
        "stages": LEAD_STAGE_LABELS,
        "lost_reasons": db.session.scalars(
            select(ListItem)
            .where(ListItem.kind == "lost_reason", ListItem.active.is_(True))
            .order_by(ListItem.position)
        ).all(),
        "templates": TEMPLATE_LABELS,
        "languages": LANGUAGES,
    }


def _action() -> str | None:
    action = request.values.get("action", "")
    if action and action not in ACTIONS:
        abort(400)
    permission = ACTION_PERMISSIONS.get(action)
    if permission and not allowed(permission):
        abort(403)
    return action or None


def _page(selection: Selection, action, *, options=None, problems=(), result=None, status=200):
    return (
        render_template(
            "crm/leads/bulk.html",
            selection=selection,
            action=action,
            values=request.values,
            options=options or {},
            problems=[*selection.problems, *problems],
            result=result,
            summary=bulk_actions.summary(action, result, options) if result else [],
            max_shown=MAX_SHOWN,
            **_choices(),
        ),
        status,
    )


@bp.route("/leads/bulk")
@require("lead.edit")
def bulk():
    """Choose the action's options; with `preview`, say what will happen to which leads."""
    action = _action()
    selection = Selection(request.args, action)
    if action is None or selection.problems or "preview" not in request.args:
        return _page(selection, action, status=400 if selection.problems else 200)
    options, problems = bulk_actions.read_options(action, request.args)
    if problems:
        return _page(selection, action, problems=problems, status=400)
    result = bulk_actions.plan(action, selection.leads(), options)
    return _page(selection, action, options=options, result=result)


@bp.route("/leads/bulk", methods=["POST"])
@require("lead.edit")
def bulk_run():
    """Run the previewed action on the same selection; changed meanwhile, preview again."""
    action = _action()
    selection = Selection(request.form, action)
    if action is None or selection.problems:
        return _page(selection, action, status=400)
    options, problems = bulk_actions.read_options(action, request.form)
    if problems:
        return _page(selection, action, problems=problems, status=400)
    leads = selection.leads()
    # A queued run takes the assignment rules' turns on the worker, when it runs.
    result = bulk_actions.plan(action, leads, options, running=not selection.queued)
    if request.form.get("expected") != str(len(result.targets)):
        db.session.rollback()
        result = bulk_actions.plan(action, selection.leads(), options)
        changed = gettext(
            "The leads changed since the preview: nothing was done. Check the preview again."
        )
        return _page(selection, action, options=options, problems=[changed], result=result,
                     status=409)  # fmt: skip
    if action == "export":
        ids = [lead.id for lead, _ in result.targets]
        return export_download(options["format"], [Lead.id.in_(ids)], selection.query.query_string)
    if selection.queued:
        bulk_run = bulk_jobs.start(selection, action, request.form, result)
        return redirect(url_for("crm.leads.bulk_run_page", run_id=bulk_run.id))
    refused = bulk_actions.run(action, result, options)
    return render_template(
        "crm/leads/bulk_done.html",
        selection=selection,
        action=action,
        done=len(result.targets) - len(refused),
        refused=refused,
        skipped=result.skipped,
        max_shown=MAX_SHOWN,
        actions=ACTIONS,
    )
