"""Possible duplicates: side-by-side comparison, merging into one lead, dismissing a flag."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select, update

from core import referrals
from core.aliases import keep_names
from core.audit import record
from core.code_names import code_name
from core.countries import country_name
from core.extensions import db
from core.firm_pairs import remember_different
from core.i18n import area_mu, money
from core.leads import refresh_search_text, restate_history
from core.models import (
    Activity,
    Contact,
    DuplicateCandidate,
    Inquiry,
    Lead,
    OutboxEmail,
    Referral,
    StageChange,
)
from core.models.base import utcnow
from core.unit_of_work import saved
from crm.leads import bp
from crm.leads.forms import DismissForm, MergeForm
from crm.permissions import get_lead_or_404, require

# What the user chooses between, per differing field; pairs of columns travel together.
MERGE_FIELDS = {
    "company_name": (_l("Company name"), ("company_name",)),
    "company_name_latin": (_l("Company name in Latin letters"), ("company_name_latin",)),
    "country": (_l("Country or region"), ("country",)),
    "industry": (_l("Industry"), ("industry",)),
    "language": (_l("Language for correspondence"), ("language",)),
    "source": (_l("Source"), ("source",)),
    "planned_investment": (_l("Planned investment"), ("planned_investment",)),
    "investment_band": (_l("Investment band"), ("investment_min", "investment_max")),
    "land_need": (_l("Land need"), ("land_need_min_mu", "land_need_max_mu")),
    "owner": (_l("Owner"), ("owner_id", "team_id")),
    "liaison": (_l("Liaison"), ("liaison_id",)),
}
# Records that belong to a lead and move to the survivor with their history.
CHILDREN = (Contact, Inquiry, Activity, StageChange, OutboxEmail, Referral)


def _values(lead: Lead, key: str) -> tuple:
    return tuple(getattr(lead, attr) for attr in MERGE_FIELDS[key][1])


def _shown(lead: Lead, key: str) -> str:
    """A field as people read it (names, money, mu) for the comparison table."""
    if key == "owner":
        return lead.owner.name if lead.owner else "—"
    if key == "liaison":
        return lead.liaison.name if lead.liaison else "—"
    if key == "country":
        return country_name(lead.country)
    if key == "planned_investment":
        return money(lead.planned_investment) if lead.planned_investment is not None else "—"
    low, *rest = _values(lead, key)
    high = rest[0] if rest else None
    if key in ("investment_band", "land_need"):
        fmt = money if key == "investment_band" else area_mu
        if low is None and high is None:
            return "—"
        return " – ".join(fmt(v) if v is not None else "…" for v in (low, high))
    return str(low) if low not in (None, "") else "—"


def _move_history(survivor: Lead, loser: Lead) -> None:
    for model in CHILDREN:
        db.session.execute(
            update(model).where(model.lead_id == loser.id).values(lead_id=survivor.id)
        )
    # Leads merged into the loser earlier now point at the survivor: one hop to the live lead.
    db.session.execute(
        update(Lead).where(Lead.merged_into_id == loser.id).values(merged_into_id=survivor.id)
    )
    for plot in loser.plots:
        if plot not in survivor.plots:
            survivor.plots.append(plot)
    now = utcnow()
    for row in db.session.scalars(
        select(DuplicateCandidate).where(
            DuplicateCandidate.resolved_at.is_(None),
            or_(DuplicateCandidate.lead_id == loser.id, DuplicateCandidate.other_id == loser.id),
        )
    ):
        row.resolved_at, row.resolution = now, "merged"


def _merge(survivor: Lead, loser: Lead, taken: list[str]) -> None:
    changes: dict = {"merged_lead": [None, loser.id]}
    before = (survivor.company_name, survivor.company_name_latin)
    for key in taken:
        for attr in MERGE_FIELDS[key][1]:
            old, new = getattr(survivor, attr), getattr(loser, attr)
            if old != new:
                changes[attr] = [old, new]
                setattr(survivor, attr, new)
    # Every name the firm went by stays findable: the loser's, and any the survivor gave up.
    names = [*before, loser.company_name, loser.company_name_latin]
    kept = keep_names(survivor, names + [alias.name for alias in loser.aliases])
    if kept:
        changes["aliases"] = [None, kept]
    if loser.legal_hold and not survivor.legal_hold:
        changes["legal_hold"] = [False, True]  # a hold on either lead protects the merged one
        survivor.legal_hold = True
    if loser.last_contact_at and (
        survivor.last_contact_at is None or loser.last_contact_at > survivor.last_contact_at
    ):
        survivor.last_contact_at = loser.last_contact_at
    if loser.first_response_at and (
        survivor.first_response_at is None or loser.first_response_at < survivor.first_response_at
    ):
        survivor.first_response_at = loser.first_response_at
    _move_history(survivor, loser)
    loser.merged_into_id = survivor.id
    restate_history([survivor.id])  # its history now interleaves both leads' changes
    referrals.after_merge(survivor, loser)
    db.session.expire(survivor, ["contacts", "inquiries"])
    db.session.expire(loser, ["contacts", "inquiries"])
    refresh_search_text(survivor)
    record("merge", survivor, changes)


@bp.route("/leads/<id:lead_id>/merge/<id:other_id>", methods=["GET", "POST"])
@require("lead.merge")
def lead_merge(lead_id: int, other_id: int):
    if lead_id == other_id:
        abort(404)
    lead = get_lead_or_404(lead_id, "lead.merge")
    other = get_lead_or_404(other_id, "lead.merge")
    form = MergeForm()
    differing = [key for key in MERGE_FIELDS if _values(lead, key) != _values(other, key)]
    problems = []
    if request.method == "GET":
        form.version.data, form.other_version.data = str(lead.version_id), str(other.version_id)
    elif form.validate_on_submit():
        picks = {key: request.form.get(f"keep_{key}", "this") for key in differing}
        if any(pick not in ("this", "other") for pick in picks.values()):
            problems.append(gettext("Choose one of the two values for each field."))
        elif (form.version.data, form.other_version.data) != (
            str(lead.version_id),
            str(other.version_id),
        ):
            problems.append(
                gettext(
                    "One of these leads was changed by someone else meanwhile. "
                    "Nothing was merged: check the values again."
                )
            )
            form.version.data, form.other_version.data = str(lead.version_id), str(other.version_id)
        else:
            _merge(lead, other, [key for key, pick in picks.items() if pick == "other"])
            if not saved():
                flash(gettext("A lead was changed meanwhile; nothing was merged."), "error")
                return redirect(url_for("crm.leads.lead_merge", lead_id=lead_id, other_id=other_id))
            flash(
                gettext(
                    "%(other)s was merged into %(lead)s.",
                    other=code_name(other),
                    lead=code_name(lead),
                ),
                "success",
            )
            return redirect(url_for("crm.leads.lead", lead_id=lead.id))
    rows = [
        (key, label, _shown(lead, key), _shown(other, key), key in differing)
        for key, (label, _attrs) in MERGE_FIELDS.items()
    ]
    return render_template(
        "crm/leads/merge.html",
        lead=lead,
        other=other,
        form=form,
        rows=rows,
        problems=problems,
        picks=request.form if request.method == "POST" else {},
    ), (422 if problems else 200)


@bp.route("/leads/<id:lead_id>/duplicates/<id:candidate_id>/dismiss", methods=["POST"])
@require("lead.merge")
def duplicate_dismiss(lead_id: int, candidate_id: int):
    lead = get_lead_or_404(lead_id, "lead.merge")
    row = db.session.get(DuplicateCandidate, candidate_id)
    if row is None or lead.id not in (row.lead_id, row.other_id):
        abort(404)
    if DismissForm().validate_on_submit() and row.resolved_at is None:
        row.resolved_at, row.resolution = utcnow(), "dismissed"
        other_id = row.other_id if row.lead_id == lead.id else row.lead_id
        record("update", lead, {"duplicate_dismissed": [None, other_id]})
        other = db.session.get(Lead, other_id)
        remember_different(
            lead.company_key, other.company_key, user=current_user, lead_ids=(lead.id, other.id)
        )
        db.session.flush()
        flash(gettext("The duplicate flag was dismissed."), "success")
    return redirect(url_for("crm.leads.lead", lead_id=lead.id))
