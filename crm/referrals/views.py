"""The referral queue and a referral's page with the bureau's decisions (core/referrals.py)."""

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from core import audit, referral_routing
from core import referrals as rules
from core.code_names import code_name, lead_id_of_code
from core.extensions import db
from core.matching.scoring import reason_text
from core.models import DECLINE_REASONS, Enterprise, Lead, Referral, Team
from core.referral_status import REASON_LABELS, status_label
from core.refusals import Refused
from core.stages import lead_stage_label
from core.unit_of_work import saved
from crm.permissions import allowed, can, get_referral_or_404, require, visible_referrals
from crm.referrals import bp
from crm.referrals.forms import (
    SHARED_INBOX,
    AcceptForm,
    DeclineForm,
    MergeForm,
    RouteForm,
    ShareForm,
)
from crm.referrals.shared import DECISION_LABELS, number, template_helpers

# Decided referrals are history: the queue shows the latest ones, the filters find older ones.
DECIDED_SHOWN = 100
STALE = _l(
    "This referral was changed by someone else after you opened the page. Nothing was saved: "
    "check it again before you decide."
)


# -- the queue ---------------------------------------------------------------------------------


def _filters() -> dict:
    decision = request.args.get("decision", "")
    enterprise_id = number(request.args.get("enterprise", ""))
    decision = decision if decision in DECISION_LABELS else ""
    return {"decision": decision, "enterprise": enterprise_id}


@bp.route("/referrals")
@require("referral.view")
def referrals():
    chosen = _filters()
    where = [visible_referrals()]
    if chosen["enterprise"]:
        where.append(Referral.enterprise_id == chosen["enterprise"])
    waiting, decided = [], []
    if chosen["decision"] in ("", "submitted"):
        # Oldest first: the first referrer of a company earns the credit, so it is decided first.
        waiting = db.session.scalars(
            select(Referral)
            .options(joinedload(Referral.enterprise), joinedload(Referral.team))
            .where(Referral.decision == "submitted", *where)
            .order_by(Referral.created_at, Referral.id)
        ).all()
    if chosen["decision"] != "submitted":
        wanted = [chosen["decision"]] if chosen["decision"] else ["accepted", "declined"]
        decided = db.session.scalars(
            select(Referral)
            .options(joinedload(Referral.enterprise), joinedload(Referral.team))
            .where(Referral.decision.in_(wanted), *where)
            .order_by(Referral.decided_at.desc(), Referral.id.desc())
            .limit(DECIDED_SHOWN)
        ).all()
    enterprises = db.session.scalars(select(Enterprise).order_by(Enterprise.name)).all()
    return render_template(
        "crm/referrals/queue.html",
        waiting=waiting,
        decided=decided,
        chosen=chosen,
        enterprises=enterprises,
        decision_labels=DECISION_LABELS,
        decided_shown=DECIDED_SHOWN,
        may_leaderboard=allowed("referral.leaderboard"),
        **template_helpers(),
    )


# -- one referral ------------------------------------------------------------------------------


def _matches(referral: Referral) -> list[dict]:
    found = []
    for lead, reasons, score in rules.matching_leads(referral):
        found.append(
            {
                "lead": lead,
                "reasons": [reason_text(r) for r in reasons],
                "score": score,
                "credit": rules.earns_credit(referral, lead),
                "may_view": can("lead.view", lead),
                "may_merge": can("lead.edit", lead),
            }
        )
    return found


def _same_company(referral: Referral) -> list[Referral]:
    if not referral.company_key:
        return []
    return db.session.scalars(
        select(Referral)
        .options(joinedload(Referral.enterprise), joinedload(Referral.team))
        .where(
            Referral.company_key == referral.company_key,
            Referral.id != referral.id,
            visible_referrals(),
        )
        .order_by(Referral.created_at, Referral.id)
    ).all()


def _earlier(referral: Referral) -> tuple[list[Referral], bool]:
    """Earlier waiting referrals of the company the user may open, and whether others wait
    with another team (accepting is refused until they are decided, so the user is told)."""
    earlier = rules.earlier_referrals(referral)
    if not earlier:
        return [], False
    shown = set(
        db.session.scalars(
            select(Referral.id).where(Referral.id.in_([r.id for r in earlier]), visible_referrals())
        )
    )
    return [r for r in earlier if r.id in shown], len(shown) < len(earlier)


def _page(referral_id: int, status_code: int = 200, problems=(), form=None):
    referral = get_referral_or_404(
        referral_id,
        joinedload(Referral.enterprise),
        joinedload(Referral.submitted_by),
        joinedload(Referral.decided_by),
        joinedload(Referral.lead),
        joinedload(Referral.team),
        selectinload(Referral.updates),
    )
    forms = {
        "accept_form": AcceptForm(formdata=None),
        "merge_form": MergeForm(formdata=None),
        "decline_form": DeclineForm(formdata=None),
        "share_form": ShareForm(formdata=None),
        "route_form": RouteForm(formdata=None, team=str(referral.team_id or SHARED_INBOX)),
    }
    if form is not None:  # the form just sent, with its values and errors
        forms[{AcceptForm: "accept_form", MergeForm: "merge_form", DeclineForm: "decline_form",
               ShareForm: "share_form", RouteForm: "route_form"}[type(form)]] = form  # fmt: skip
    forms["decline_form"].fill_choices()
    undecided = referral.decision == "submitted"
    may_route = undecided and allowed("referral.route")
    if may_route:
        forms["route_form"].fill_choices(db.session.scalars(select(Team).order_by(Team.name)))
    earlier, earlier_elsewhere = _earlier(referral) if undecided else ([], False)
    lead = referral.lead
    return (
        render_template(
            "crm/referrals/detail.html",
            referral=referral,
            problems=list(problems),
            failed=form,
            undecided=undecided,
            matches=_matches(referral) if undecided else [],
            earlier=earlier,
            earlier_elsewhere=earlier_elsewhere,
            same_company=_same_company(referral),
            lead=lead,
            lead_visible=lead is not None and can("lead.view", lead),
            credited=lead is not None and lead.referrer_enterprise_id == referral.enterprise_id,
            may_decide=allowed("referral.decide"),
            may_override=allowed("referral.override"),
            may_route=may_route,
            decision_labels=DECISION_LABELS,
            reason_labels=REASON_LABELS,
            status_label=status_label,
            stage_label=lead_stage_label,
            **forms,
            **template_helpers(),
        ),
        status_code,
    )


@bp.route("/referrals/<id:referral_id>")
@require("referral.view")
def referral(referral_id: int):
    return _page(referral_id)


# -- the decisions -----------------------------------------------------------------------------


Outcome = tuple[str, str] | None  # (flash message, where to go next), or None: errors on the form


def _decide(referral_id: int, form, act: Callable[[Referral, object], Outcome]):
    """Run one decision: form checks, version check, the rule; the request commits and mails."""
    referral = get_referral_or_404(referral_id)
    if not form.validate_on_submit():
        return _page(referral_id, 422, form=form)
    if form.version.data != str(referral.version_id):
        return _page(referral_id, 409, [str(STALE)], form=form)
    try:
        outcome = act(referral, form)
    except Refused as refusal:
        db.session.rollback()
        return _page(referral_id, 422, [str(refusal)], form=form)
    if outcome is None:
        db.session.rollback()
        return _page(referral_id, 422, form=form)
    if not saved():  # decided or changed by another request since we read it
        return _page(referral_id, 409, [str(STALE)], form=form)
    message, target = outcome
    flash(message, "success")
    return redirect(target)


def _referral_url(referral: Referral) -> str:
    return url_for("crm.referrals.referral", referral_id=referral.id)


def _accept(referral: Referral, form: AcceptForm) -> Outcome:
    lead = rules.accept(referral, current_user, different_company=form.different_company.data)
    message = gettext("The referral was accepted: it is now lead %(code)s.", code=code_name(lead))
    return message, url_for("crm.leads.lead", lead_id=lead.id)


@bp.route("/referrals/<id:referral_id>/accept", methods=["POST"])
@require("referral.decide")
def referral_accept(referral_id: int):
    return _decide(referral_id, AcceptForm(), _accept)


def _merge_target(form: MergeForm) -> Lead | None:
    """The lead chosen from the matches or typed (number or code name); errors go on the form."""
    typed = (form.lead_number.data or "").strip().lstrip("#")
    field = form.lead_number if typed else form.match
    wanted = typed or (form.match.data or "")
    if not wanted:
        form.match.errors.append(gettext("Choose a lead from the matches or type its number."))
        return None
    if wanted.isascii() and wanted.isdigit():
        lead_id = number(wanted)
        lead = db.session.get(Lead, lead_id) if lead_id else None
    else:
        lead = db.session.scalar(select(Lead).where(func.lower(Lead.code_name) == wanted.lower()))
        if lead is None and (coded := lead_id_of_code(wanted)) is not None:  # 水獭-00054 too
            lead = db.session.get(Lead, coded)
    if lead is None or not can("lead.view", lead):  # another team's lead: as if it did not exist
        field.errors.append(gettext("There is no lead %(number)s.", number=wanted))
        return None
    if lead.merged_into_id is not None:
        field.errors.append(
            gettext(
                "Lead %(code)s was merged into another lead: merge the referral into that one.",
                code=code_name(lead),
            )
        )
        return None
    if lead.anonymised_at is not None:
        field.errors.append(gettext("Lead %(code)s was anonymised.", code=code_name(lead)))
        return None
    if not can("lead.edit", lead):
        field.errors.append(
            gettext(
                "You may merge a referral only into a lead you may change. Ask the lead's "
                "owner or a manager."
            )
        )
        return None
    return lead


def _merge(referral: Referral, form: MergeForm) -> Outcome:
    lead = _merge_target(form)
    if lead is None:
        return None
    # Field-level rule: only managers may override; the field is gone for everyone else.
    reason = (form.override_reason.data or "") if "override_reason" in form else ""
    credit = rules.merge(referral, lead, current_user, override_reason=reason)
    if credit:
        message = gettext(
            "The referral was added to lead %(code)s; the referring enterprise has the credit.",
            code=code_name(lead),
        )
    else:
        message = gettext(
            "The referral was added to lead %(code)s. The company was already known, so the "
            "referral was declined as “already known” and the enterprise was told.",
            code=code_name(lead),
        )
    return message, url_for("crm.leads.lead", lead_id=lead.id)


@bp.route("/referrals/<id:referral_id>/merge", methods=["POST"])
@require("referral.decide")
def referral_merge(referral_id: int):
    form = MergeForm()
    if not allowed("referral.override"):
        del form.override_reason  # not shown to them, so neither read nor checked
    return _decide(referral_id, form, _merge)


def _decline(referral: Referral, form: DeclineForm) -> Outcome:
    if form.reason.data not in DECLINE_REASONS:
        form.reason.errors.append(gettext("Choose a reason from the list."))
        return None
    rules.decline(referral, current_user, form.reason.data, form.decline_message.data or "")
    return gettext("The referral was declined; the enterprise was told why."), _referral_url(
        referral
    )


@bp.route("/referrals/<id:referral_id>/decline", methods=["POST"])
@require("referral.decide")
def referral_decline(referral_id: int):
    form = DeclineForm()
    form.fill_choices()
    return _decide(referral_id, form, _decline)


def _share(referral: Referral, _form: ShareForm) -> Outcome:
    old = referral.share_amounts
    referral.share_amounts = not old
    audit.record("update", referral, {"share_amounts": [old, not old]})
    if referral.share_amounts:
        message = gettext("The enterprise now sees the planned investment of this referral.")
    else:
        message = gettext("The enterprise no longer sees the planned investment.")
    return message, _referral_url(referral)


@bp.route("/referrals/<id:referral_id>/share", methods=["POST"])
@require("referral.decide")
def referral_share(referral_id: int):
    return _decide(referral_id, ShareForm(), _share)


def _route(referral: Referral, form: RouteForm) -> Outcome:
    team = None
    if form.team.data != SHARED_INBOX:
        team_id = number(form.team.data or "")
        team = db.session.get(Team, team_id) if team_id else None
        if team is None:
            form.team.errors.append(gettext("Choose a team or the shared inbox."))
            return None
    referral_routing.route(referral, team, by=current_user)
    if team is None:
        message = gettext("The referral waits in the shared inbox now: any officer may take it on.")
    else:
        message = gettext("The referral waits with %(team)s now.", team=team.label)
    return message, _referral_url(referral)


@bp.route("/referrals/<id:referral_id>/route", methods=["POST"])
@require("referral.route")
def referral_route(referral_id: int):
    return _decide(referral_id, RouteForm(), _route)
