"""Enterprises in the CRM: the list, an enterprise's page, its form, and a new referral code."""

import json

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from core import referral_status
from core.audit import record
from core.choices import industry_name
from core.enterprises import new_referral_code, refresh_keys
from core.extensions import db
from core.i18n import LANGUAGES, PUBLIC_LANGUAGES
from core.models import ZONES, Enterprise, Lead, Plot, Referral
from core.unit_of_work import saved
from core.urls import external_url
from crm.conflicts import arm, refuse
from crm.enterprises import bp
from crm.enterprises.forms import (
    ENTERPRISE_FIELDS,
    EnterpriseForm,
    industry_choices,
    slug_taken,
    zone_name,
)
from crm.leads.listing import STAGE_LABELS
from crm.permissions import MAX_ID, allowed, can, require, visible_referrals

CONFLICT = _l(
    "This enterprise was changed by someone else while you were editing. Nothing was saved. "
    "Compare the values below; save again to keep yours."
)
MAX_SEARCH = 100
DECISION_LABELS = {
    "submitted": _l("Waiting for a decision"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
}


def get_enterprise_or_404(enterprise_id: int, *options) -> Enterprise:
    if not 0 < enterprise_id <= MAX_ID:  # beyond the integer column: no such firm, not a DB error
        abort(404)
    enterprise = db.session.scalar(
        select(Enterprise).where(Enterprise.id == enterprise_id).options(*options)
    )
    if enterprise is None:
        abort(404)
    return enterprise


def _counts(column, *where) -> dict[int, int]:
    """Rows per enterprise in one GROUP BY, however many enterprises the list shows."""
    rows = db.session.execute(
        select(column, func.count()).where(column.is_not(None), *where).group_by(column)
    )
    return dict(rows.all())


def credited_counts() -> dict[int, int]:
    # A merged-away lead lives on in the lead it was merged into: count that one only.
    return _counts(Lead.referrer_enterprise_id, Lead.merged_into_id.is_(None))


def referral_counts() -> dict[int, int]:
    # Only the referrals the reader may see, as on the enterprise's page and in the queue.
    return _counts(Referral.enterprise_id, visible_referrals())


@bp.route("/enterprises")
@require("enterprise.view")
def enterprises():
    args = request.args
    search = (args.get("q") or "").strip()[:MAX_SEARCH]
    industry, zone = args.get("industry", ""), args.get("zone", "")
    statement = select(Enterprise).order_by(Enterprise.slug)
    if search:
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(
            or_(
                func.lower(column).like(f"%{escaped}%", escape="\\")
                for column in (Enterprise.name, Enterprise.name_latin)
            )
        )
    if industry:
        statement = statement.where(Enterprise.industry == industry[:64])
    if zone in ZONES:
        statement = statement.where(Enterprise.zone == zone)
    return render_template(
        "crm/enterprises/list.html",
        firms=db.session.scalars(statement).all(),
        chosen={"q": search, "industry": industry, "zone": zone},
        industries=[c for c in industry_choices() if c.value],
        zones=[(code, zone_name(code)) for code in ZONES],
        referrals=referral_counts(),
        credited=credited_counts(),
        industry_name=industry_name,
        zone_name=zone_name,
        may_edit=allowed("enterprise.edit"),
    )


def _referral_url(referral: Referral) -> str | None:
    # The referral page is another feature of the CRM: link to it only once it exists.
    if "crm.referrals.referral" in current_app.view_functions and allowed("referral.view"):
        return url_for("crm.referrals.referral", referral_id=referral.id)
    return None


@bp.route("/enterprises/<int:enterprise_id>")
@require("enterprise.view")
def enterprise(enterprise_id: int):
    firm = get_enterprise_or_404(
        enterprise_id, selectinload(Enterprise.plots), selectinload(Enterprise.contacts)
    )
    referrals = db.session.scalars(
        select(Referral)
        .where(Referral.enterprise_id == firm.id, visible_referrals())
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    ).all()
    leads = db.session.scalars(
        select(Lead)
        .where(Lead.referrer_enterprise_id == firm.id, Lead.merged_into_id.is_(None))
        .order_by(Lead.referred_at, Lead.id)
    ).all()
    # Absolute, as the enterprise copies and shares them (PUBLIC_BASE_URL when set).
    links = {
        code: external_url("site.inquiry", lang=code, ref=firm.referral_code)
        for code in PUBLIC_LANGUAGES
    }
    return render_template(
        "crm/enterprises/detail.html",
        firm=firm,
        links=links,
        referrals=[
            (
                r,
                DECISION_LABELS.get(r.decision, r.decision),
                referral_status.status_label(referral_status.status(r)),
                _referral_url(r),
            )
            for r in referrals
        ],
        # Officers see the company only of leads in their scope; of others, the code name.
        leads=[(lead, can("lead.view", lead)) for lead in leads],
        stage_labels=STAGE_LABELS,
        industry_name=industry_name,
        zone_name=zone_name,
        public_languages=PUBLIC_LANGUAGES,
        may_edit=allowed("enterprise.edit"),
        may_invite=allowed("enterprise.invite"),
    )


def _current(firm: Enterprise) -> dict:
    """The enterprise's values typed as EnterpriseForm.values() returns them."""
    values = {name: getattr(firm, name) for name in ENTERPRISE_FIELDS}
    values["plots"] = sorted(p.code for p in firm.plots)
    values["summary"] = dict(firm.summary or {})
    return values


def _shown(values: dict) -> dict[str, str]:
    """Values as plain text, to spot what someone else changed meanwhile."""
    shown = {}
    for name, value in values.items():
        if isinstance(value, bool):
            shown[name] = "✓" if value else ""
        elif name == "plots":
            shown[name] = ", ".join(value)
        elif isinstance(value, dict):
            shown[name] = json.dumps(value, ensure_ascii=False, sort_keys=True)
        else:
            shown[name] = "" if value is None else str(value)
    return shown


def _fill(form: EnterpriseForm, firm: Enterprise) -> None:
    for name in ("name", "name_latin", "industry", "zone"):
        getattr(form, name).data = getattr(firm, name)
    for name in ("year_entered", "employees", "local_hires"):
        value = getattr(firm, name)
        getattr(form, name).data = "" if value is None else str(value)
    form.plots.data = [p.code for p in firm.plots]
    for code in PUBLIC_LANGUAGES:
        getattr(form, f"summary_{code}").data = (firm.summary or {}).get(code, "")
    form.listed.data = firm.listed


def _apply(firm: Enterprise, values: dict) -> dict:
    """Set the changed values; return {field: [old, new]} for the audit trail."""
    changes = {}
    old_values = _current(firm)
    for name, new in values.items():
        old = old_values[name]
        if old == new:
            continue
        changes[name] = [old, new]
        if name == "plots":
            with db.session.no_autoflush:  # a new firm is inserted at commit, not half-filled
                chosen = select(Plot).where(Plot.code.in_(new)).order_by(Plot.code)
                firm.plots = list(db.session.scalars(chosen))
        else:
            setattr(firm, name, new)
    if {"name", "name_latin"} & changes.keys() or firm.id is None:
        refresh_keys(firm)  # the keys that refuse referrals of firms already in the park
    return changes


@bp.route("/enterprises/new", methods=["GET", "POST"])
@require("enterprise.edit")
def enterprise_new():
    form = EnterpriseForm()
    form.fill_choices(None)
    if request.method == "GET":
        form.zone.data = ZONES[0]
        return _render_form(form, None)
    taken = gettext("Another enterprise already uses this slug.")
    if form.validate_on_submit():
        if slug_taken(form.slug.data):
            form.slug.errors.append(taken)
        else:
            firm = Enterprise(slug=form.slug.data, referral_code=new_referral_code())
            db.session.add(firm)
            changes = {k: [None, new] for k, (_old, new) in _apply(firm, form.values()).items()}
            changes["slug"] = [None, firm.slug]
            record("create", firm, changes)
            try:
                db.session.flush()
            except IntegrityError:  # someone took the slug in the same instant
                db.session.rollback()
                form.slug.errors.append(taken)
            else:
                flash(gettext("The enterprise was created."), "success")
                return redirect(url_for("crm.enterprises.enterprise", enterprise_id=firm.id))
    return _render_form(form, None, status=422)


@bp.route("/enterprises/<int:enterprise_id>/edit", methods=["GET", "POST"])
@require("enterprise.edit")
def enterprise_edit(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, selectinload(Enterprise.plots))
    form = EnterpriseForm()
    form.fill_choices(firm)
    current = _shown(_current(firm))
    if request.method == "GET":
        _fill(form, firm)
        arm(form, firm.version_id, current)
        return _render_form(form, firm)
    form.slug.data = firm.slug  # in the public page's address: shown, never changed here
    if not form.validate_on_submit():
        return _render_form(form, firm, status=422)
    values = form.values()
    if form.version.data == str(firm.version_id):
        changes = _apply(firm, values)
        if not changes:
            flash(gettext("Nothing changed."), "info")
            return redirect(url_for("crm.enterprises.enterprise", enterprise_id=firm.id))
        record("update", firm, changes)
        if not saved():  # saved by someone else between our read and our write
            firm = get_enterprise_or_404(enterprise_id, selectinload(Enterprise.plots))
        else:
            flash(gettext("The enterprise was saved."), "success")
            return redirect(url_for("crm.enterprises.enterprise", enterprise_id=firm.id))
        current = _shown(_current(firm))
    conflicts = refuse(form, firm.version_id, current, _shown(values))
    return _render_form(form, firm, conflicts=conflicts, conflict=True, status=409)


def _render_form(form, firm, conflicts=(), conflict=False, status=200):
    labels = {f.name: str(f.label.text) for f in form}
    labels["summary"] = gettext("Summary for the public page")
    return (
        render_template(
            "crm/enterprises/edit.html",
            form=form,
            firm=firm,
            public_languages=PUBLIC_LANGUAGES,
            languages=LANGUAGES,
            labels=labels,
            conflicts=list(conflicts),
            conflict_message=str(CONFLICT) if conflict else "",
        ),
        status,
    )


@bp.route("/enterprises/<int:enterprise_id>/referral-code", methods=["POST"])
@require("enterprise.edit")
def enterprise_code(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id)
    old, firm.referral_code = firm.referral_code, new_referral_code()
    record("update", firm, {"referral_code": [old, firm.referral_code]})
    db.session.flush()
    flash(
        gettext("The enterprise has a new referral link. The old one no longer works."), "success"
    )
    return redirect(
        url_for("crm.enterprises.enterprise", enterprise_id=firm.id) + "#referral-link-title"
    )
