"""A project's incentives on its page: the package in plain words, deadlines, extensions, review."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from babel.lists import format_list
from flask import flash, g, redirect, url_for
from flask_babel import format_percent, get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import incentives as rules
from core import projects
from core.audit import record
from core.choices import industry_name
from core.extensions import db
from core.i18n import date as date_text
from core.i18n import money, translated
from core.models import DeadlineExtension, Project, User
from core.models.base import utcnow
from core.unit_of_work import saved
from crm.permissions import allowed, require
from crm.projects import bp, get_project_or_404
from crm.projects.incentive_forms import (
    DEADLINE_LABELS,
    EXTEND_PREFIX,
    REVIEW_PREFIX,
    ExtendForm,
    ReviewForm,
)
from crm.projects.views import project as project_page

STATE_LABELS = {"open": _l("Still to win"), "earned": _l("Earned"), "missed": _l("Missed")}


@dataclass(frozen=True)
class DeadlineRow:
    stage: str
    label: str
    day: date | None
    text: str
    overdue: bool


@dataclass(frozen=True)
class ExtensionRow:
    decided_at: datetime
    approved_by: User
    label: str
    old_date: date | None
    new_date: date
    reason: str


# -- the package in plain words --------------------------------------------------------------


def percent(value: int) -> str:
    return format_percent(Decimal(value) / 100)


def _and(parts: list[str]) -> str:
    return format_list(parts, locale=str(get_locale() or "zh")) if parts else ""


def figures_text(detail: dict, years: int = 0) -> str:
    """Figures in words: 5% off the land price, 30% off the permit fees and 30% of … refunded."""
    parts = []
    if detail.get("land_price_pct"):
        parts.append(gettext("%(pct)s off the land price", pct=percent(detail["land_price_pct"])))
    if detail.get("permit_fee_pct"):
        parts.append(gettext("%(pct)s off the permit fees", pct=percent(detail["permit_fee_pct"])))
    if detail.get("tax_refund_pct"):
        pct = percent(detail["tax_refund_pct"])
        if years:
            parts.append(
                ngettext(
                    "%(pct)s of the county's share of corporate income tax refunded for "
                    "%(num)d year",
                    "%(pct)s of the county's share of corporate income tax refunded for "
                    "%(num)d years",
                    years,
                    pct=pct,
                )
            )
        else:
            parts.append(
                gettext("%(pct)s of the county's share of corporate income tax refunded", pct=pct)
            )
    return _and(parts)


def reason_text(rule: str, detail: dict, state: str, years: int, industry: str) -> str:
    """One sentence for one rule of core.incentives that the package applies."""
    if rule == "tier":
        if detail["min_investment"]:
            return gettext(
                "Investment of at least %(amount)s: %(figures)s.",
                amount=money(detail["min_investment"]),
                figures=figures_text(detail, years),
            )
        return gettext(
            "Base package for any investment: %(figures)s.", figures=figures_text(detail, years)
        )
    if rule == "priority":
        return gettext(
            "A priority industry of the park (%(industry)s): %(figures)s.",
            industry=industry_name(industry),
            figures=figures_text(detail),
        )
    if rule == "intensity":
        return gettext(
            "Land used intensively, at least %(amount)s of investment per mu: %(figures)s.",
            amount=money(detail["per_mu_min"]),
            figures=figures_text(detail),
        )
    if rule == "on_time":
        if state == "open":  # counted in the figures, kept only if construction starts in time
            return gettext(
                "Construction starting by the deadline, still to win: %(figures)s.",
                figures=figures_text(detail),
            )
        return gettext(
            "Construction started by the deadline: %(figures)s.", figures=figures_text(detail)
        )
    if rule == "early":
        return ngettext(
            "Construction started %(num)d full month before the deadline: %(figures)s.",
            "Construction started %(num)d full months before the deadline: %(figures)s.",
            detail["months"],
            figures=figures_text(detail),
        )
    if rule == "cap":
        return gettext(
            "Limited to the policy's maximum: %(figures)s.", figures=figures_text(detail)
        )
    return rule  # a rule added to core.incentives before it has its sentence here


def tax_refund_text(figures: dict) -> str:
    years = figures["tax_refund_years"]
    if figures["tax_refund_pct"] and years:
        return ngettext(
            "%(pct)s for %(num)d year",
            "%(pct)s for %(num)d years",
            years,
            pct=percent(figures["tax_refund_pct"]),
        )
    return percent(figures["tax_refund_pct"])


def state_text(state: str, flagged: bool) -> str:
    if state == "open":
        return gettext(
            "The figures count the bonus for starting construction by the deadline: it is won "
            "only if construction starts in time, with its proof."
        )
    if state == "earned":
        return gettext("Construction started by the deadline, with its proof.")
    if flagged:
        return gettext(
            "Construction did not start by the deadline: the incentives wait for a manager's "
            "review."
        )
    return gettext("Construction did not start by the deadline.")


def at_stake_text(project: Project, stake: dict) -> str:
    lost = figures_text(stake)
    if not lost:
        return gettext("Nothing more is at stake: the package is at the policy's maximum.")
    if project.construction_deadline is None:
        return gettext(
            "If construction does not start by its deadline, the project loses %(figures)s.",
            figures=lost,
        )
    return gettext(
        "If construction has not started by %(date)s, the project loses %(figures)s.",
        date=date_text(project.construction_deadline),
        figures=lost,
    )


def missing_text(project: Project) -> list[str]:
    """Why core.incentives.project_clock has nothing to say about the project."""
    missing = []
    if not project.policy_version:
        missing.append(
            gettext("No incentive policy version is recorded: set it in the project form.")
        )
    elif rules.policy(project.policy_version) is None:
        missing.append(
            gettext(
                "The incentive policy version “%(version)s” is not among the policy files: "
                "correct it in the project form.",
                version=project.policy_version,
            )
        )
    if project.investment is None:
        missing.append(gettext("The investment is not recorded: set it in the project form."))
    return missing


# -- deadlines -------------------------------------------------------------------------------


def days_text(days: int) -> str:
    if days > 0:
        return ngettext("%(num)d day left", "%(num)d days left", days)
    if days == 0:
        return gettext("due today")
    return ngettext("%(num)d day overdue", "%(num)d days overdue", -days)


def deadline_rows(project: Project, clock: dict | None, today: date) -> list[DeadlineRow]:
    rows = []
    for stage, label in DEADLINE_LABELS.items():
        day = getattr(project, f"{stage}_deadline")
        reached = project.milestone(stage)
        if day is None:
            rows.append(DeadlineRow(stage, str(label), None, gettext("not agreed yet"), False))
        elif reached is not None and reached.proven:
            text = gettext("reached on %(date)s", date=date_text(reached.reached_on))
            rows.append(DeadlineRow(stage, str(label), day, text, reached.reached_on > day))
        else:
            days = clock["days_left"][stage] if clock else (day - today).days
            rows.append(DeadlineRow(stage, str(label), day, days_text(days), days < 0))
    return rows


def extension_rows(project: Project) -> list[ExtensionRow]:
    extensions = db.session.scalars(
        select(DeadlineExtension)
        .where(DeadlineExtension.project_id == project.id)
        .options(joinedload(DeadlineExtension.approved_by))
        .order_by(DeadlineExtension.decided_at, DeadlineExtension.id)
    ).all()
    return [
        ExtensionRow(
            e.decided_at,
            e.approved_by,
            str(DEADLINE_LABELS.get(e.deadline, e.deadline)),
            e.old_date,
            e.new_date,
            e.reason,
        )
        for e in extensions
    ]


def conflict_text() -> str:
    return gettext(
        "This project was changed by someone else after you opened the page. Nothing was saved. "
        "Check its incentives and deadlines below and send the form again."
    )


# -- the panel -------------------------------------------------------------------------------


def incentive_panel(project: Project) -> dict:
    """What the project page's incentives partial shows; after a refused form, that form sent."""
    today = projects.park_today()
    clock = rules.project_clock(project, today)
    policy = rules.policy(project.policy_version)
    sent = g.get("incentive_forms", {})
    panel = {
        "version": project.policy_version,
        "title": translated(policy["title"]) if policy else "",
        "clock": clock,
        "missing": missing_text(project) if clock is None else [],
        "flagged": project.incentive_review,
        "deadlines": deadline_rows(project, clock, today),
        "extensions": extension_rows(project),
        # Problems that belong to no single field, shown above the form that was sent.
        "extend_problems": sent.get("problems", []) if "extend" in sent else [],
        "review_problems": sent.get("problems", []) if "review" in sent else [],
        "conflict": conflict_text() if sent.get("conflict") else "",
        "today": today,
    }
    if clock is not None:
        figures, state = clock["figures"], clock["state"]
        industry = project.lead.industry
        panel.update(
            state=state,
            state_label=str(STATE_LABELS[state]),
            state_text=state_text(state, project.incentive_review),
            land_price=percent(figures["land_price_pct"]),
            permit_fee=percent(figures["permit_fee_pct"]),
            tax_refund=tax_refund_text(figures),
            reasons=[
                reason_text(rule, detail, state, figures["tax_refund_years"], industry)
                for rule, detail in clock["reasons"]
            ],
            at_stake=at_stake_text(project, clock["at_stake"]) if state == "open" else "",
        )
    panel["extend"] = panel["review"] = None
    if allowed("project.edit"):
        extend = sent.get("extend") or ExtendForm(formdata=None, prefix=EXTEND_PREFIX)
        if "extend" not in sent:
            extend.deadline.data = "construction" if project.stage == "signed" else "production"
        panel["extend"] = extend
        if project.incentive_review or "review" in sent:
            panel["review"] = sent.get("review") or ReviewForm(formdata=None, prefix=REVIEW_PREFIX)
        for form in (panel["extend"], panel["review"]):
            # A form sent against an older version keeps it (the conflict check needs it), unless
            # the conflict was just shown: the next send is then a choice made in view of it.
            if form is not None and (sent.get("conflict") or not form.version.data):
                form.version.data = str(project.version_id)
    return panel


@bp.app_context_processor
def incentives_helper():
    # The project page shows the partial without crm/projects/views.py knowing about incentives.
    return {"incentive_panel": incentive_panel}


# -- extending a deadline, closing a review --------------------------------------------------


def _refused(project_id: int, status: int = 422, **sent):
    """The project page again with the form as sent and what is wrong with it; nothing written."""
    db.session.rollback()
    g.incentive_forms = sent
    body, _ = project_page(project_id)
    return body, status


def _done(project: Project, message: str):
    flash(message, "success")
    return redirect(url_for("crm.projects.project", project_id=project.id, _anchor="incentives"))


@bp.route("/projects/<int:project_id>/extend", methods=["POST"])
@require("project.edit")
def project_extend(project_id: int):
    project = get_project_or_404(project_id, "project.edit", joinedload(Project.lead))
    form = ExtendForm(prefix=EXTEND_PREFIX).bind(project)
    if not form.validate_on_submit():
        return _refused(project_id, extend=form)
    if form.version.data != str(project.version_id):
        return _refused(project_id, 409, extend=form, conflict=True)
    which, new = form.deadline.data, form.new_date.data
    old, reason = getattr(project, f"{which}_deadline"), form.reason.data.strip()
    extension = DeadlineExtension(
        project_id=project.id,
        deadline=which,
        old_date=old,
        new_date=new,
        reason=reason,
        approved_by_id=current_user.id,
    )
    setattr(project, f"{which}_deadline", new)
    changes = {f"{which}_deadline": [old, new], "reason": [None, reason]}
    # The missed deadline is no longer missed: the review it called for has no object. A day
    # still to come (today included) is not missed, as core.projects.flag_missed_deadlines counts.
    if which == "construction" and project.incentive_review and new >= projects.park_today():
        project.incentive_review = False
        changes["incentive_review"] = [True, False]
    project.updated_at = utcnow()
    db.session.add(extension)
    if not saved():  # saved by someone else between our read and our write
        return _refused(project_id, 409, extend=form, conflict=True)
    record("extend", project, {**changes, "extension": [None, extension.id]})
    return _done(
        project,
        gettext(
            "The deadline “%(deadline)s” is now %(date)s.",
            deadline=str(DEADLINE_LABELS[which]),
            date=date_text(new),
        ),
    )


@bp.route("/projects/<int:project_id>/review", methods=["POST"])
@require("project.edit")
def project_review(project_id: int):
    project = get_project_or_404(project_id, "project.edit", joinedload(Project.lead))
    form = ReviewForm(prefix=REVIEW_PREFIX)
    if not form.validate_on_submit():
        return _refused(project_id, review=form)
    if form.version.data != str(project.version_id):
        return _refused(project_id, 409, review=form, conflict=True)
    if not project.incentive_review:
        problem = gettext("This project's incentives are not waiting for a review.")
        return _refused(project_id, review=form, problems=[problem])
    note = form.note.data.strip()
    project.incentive_review = False
    project.updated_at = utcnow()
    record("review", project, {"incentive_review": [True, False], "note": [None, note]})
    if not saved():
        return _refused(project_id, 409, review=form, conflict=True)
    return _done(project, gettext("The incentive review is recorded as done."))
