"""Projects: opened when a lead is signed, plots reserved and allocated, stages reached with proof.

A stage is recorded with the day it was reached and its evidence (a document or a reference to
one); counts of projects under construction or in production rely on that proof.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext, ngettext
from sqlalchemy import select, update

from core import approvals, audit
from core.extensions import db
from core.models import PROJECT_STAGES, Lead, Plot, Project, ProjectMilestone, User
from core.models.base import utcnow
from core.refusals import Refused
from core.signing import Signing
from core.workdays import CHINA


def park_today() -> date:
    """Days of signing, deadlines and reservations are the park's days, wherever staff are."""
    return datetime.now(CHINA).date()


def project_of(lead: Lead) -> Project | None:
    return db.session.scalar(select(Project).where(Project.lead_id == lead.id))


def open_project(lead: Lead, user: User | None, signing: Signing | None = None) -> Project:
    """The project of a lead just signed (the same one if it was signed before).

    With the signing's figures the project takes its contract amount, agreement (the proof of
    signing), deadline, policy and plots. Without them (a load) it takes only an amount staff
    entered, never a band's lower bound, and no incentive policy: incentives wait for the figures.
    """
    project = project_of(lead)
    if project is not None:
        return project
    zones = {plot.zone for plot in lead.plots}
    project = Project(
        lead=lead,
        signed_on=signing.signed_on if signing else park_today(),
        policy_version=signing.policy_version if signing else "",
        investment=signing.amount if signing else lead.planned_investment,
        construction_deadline=signing.construction_deadline if signing else None,
        zone=zones.pop() if len(zones) == 1 else None,
        liaison_id=lead.liaison_id,
    )
    signed = ProjectMilestone(stage="signed", reached_on=project.signed_on, recorded_by=user)
    if signing is not None:
        signed.evidence_kind, signed.reference = "document", signing.agreement_name[:300]
        signed.path, signed.content_type, signed.size = signing.agreement
    project.milestones.append(signed)
    db.session.add(project)
    db.session.flush()
    created = {"lead": [None, lead.id], "stage": [None, "signed"]}
    if signing is not None:
        created |= {
            "signed_on": [None, project.signed_on],
            "investment": [None, project.investment],
            "construction_deadline": [None, project.construction_deadline],
            "policy_version": [None, project.policy_version],
            "liaison_id": [None, project.liaison_id],
            "signed_evidence": [None, "document"],
            "signed_reference": [None, signed.reference],
        }
    audit.record("create", project, created)
    if signing is not None and signing.plots:
        allocate(project, signing.plots)
    approvals.add_default_steps(project)
    return project


# -- plots ----------------------------------------------------------------------------------


def held_for_other(plot: Plot, lead: Lead, today: date | None = None) -> bool:
    """The plot is reserved, still, for another lead."""
    today = today or park_today()
    return (
        plot.status == "reserved"
        and plot.reserved_for_id not in (None, lead.id)
        and (plot.reserved_until is None or plot.reserved_until >= today)
    )


def allocate(project: Project, plots: list[Plot]) -> None:
    """Give the project exactly these plots: they become allocated, the ones let go available."""
    taken = db.session.scalars(
        select(Plot)
        .join(Project.plots)
        .where(Project.id != project.id, Plot.id.in_([p.id for p in plots]))
    ).all()
    if taken:
        raise Refused(
            gettext(
                "Plot %(code)s is allocated to another project.",
                code=", ".join(p.code for p in taken),
            )
        )
    for plot in plots:
        if held_for_other(plot, project.lead):
            raise Refused(gettext("Plot %(code)s is reserved for another lead.", code=plot.code))
    before = [p.code for p in project.plots]
    for plot in project.plots:
        if plot not in plots:
            plot.status, plot.reserved_for_id, plot.reserved_until = "available", None, None
    for plot in plots:
        plot.status, plot.reserved_for_id, plot.reserved_until = "allocated", None, None
    project.plots = list(plots)
    zones = {plot.zone for plot in plots}
    if len(zones) == 1:
        project.zone = zones.pop()
    after = [p.code for p in project.plots]
    if before != after:
        audit.record("allocate", project, {"plots": [before, after]})


def reserve(plot: Plot, lead: Lead, until: date) -> None:
    """Hold an available plot for a lead until a day (inclusive)."""
    if until < park_today():
        raise Refused(gettext("The reservation must end today or later."))
    if plot.status == "allocated" or held_for_other(plot, lead):
        raise Refused(gettext("Plot %(code)s is not available.", code=plot.code))
    changes = {
        "status": [plot.status, "reserved"],
        "reserved_for": [plot.reserved_for_id, lead.id],
        "reserved_until": [plot.reserved_until, until],
    }
    plot.status, plot.reserved_for_id, plot.reserved_until = "reserved", lead.id, until
    audit.record("reserve", plot, changes)


def release(plot: Plot) -> None:
    if plot.status != "reserved":
        return
    audit.record(
        "release",
        plot,
        {"status": ["reserved", "available"], "reserved_for": [plot.reserved_for_id, None]},
    )
    plot.status, plot.reserved_for_id, plot.reserved_until = "available", None, None


def release_expired(today: date | None = None) -> list[str]:
    """Reservations past their last day end (cron, nightly): the plots are available again."""
    today = today or park_today()
    plots = db.session.scalars(
        select(Plot).where(Plot.status == "reserved", Plot.reserved_until < today)
    ).all()
    for plot in plots:
        release(plot)
    return [plot.code for plot in plots]


# -- stages ----------------------------------------------------------------------------------


def reach(
    project: Project,
    stage: str,
    on: date,
    user: User,
    *,
    evidence_kind: str,
    reference: str = "",
    stored: tuple[str, str, int] | None = None,
) -> ProjectMilestone:
    """Record a stage with its proof: the next stage, or the proof of the one recorded already.

    stored is (storage key, content type, size) of an uploaded document.
    """
    if stage not in PROJECT_STAGES:
        raise Refused(gettext("Choose a stage from the list."))
    if on > park_today():
        raise Refused(gettext("The day cannot be in the future."))
    if on < project.signed_on and stage != "signed":
        raise Refused(gettext("The day cannot be before the signing."))
    reference = reference.strip()
    if evidence_kind == "reference" and not reference:
        raise Refused(gettext("Give the reference of the document (its number or title)."))
    if evidence_kind == "document" and stored is None:
        raise Refused(gettext("Choose the document to upload."))
    current = PROJECT_STAGES.index(project.stage)
    wanted = PROJECT_STAGES.index(stage)
    if wanted > current + 1:
        raise Refused(
            gettext("A project reaches its stages in order: record the one before first.")
        )
    milestone = project.milestone(stage)
    if milestone is None:
        if wanted <= current:
            raise Refused(gettext("The project is past this stage."))
        milestone = ProjectMilestone(stage=stage)
        project.milestones.append(milestone)
    old = (milestone.reached_on, milestone.evidence_kind, milestone.reference)
    milestone.reached_on, milestone.evidence_kind = on, evidence_kind
    milestone.reference = reference
    if stored is not None:
        milestone.path, milestone.content_type, milestone.size = stored
    milestone.recorded_by_id, milestone.recorded_at = user.id, utcnow()
    changes = {
        f"{stage}_on": [old[0], on],
        f"{stage}_evidence": [old[1], evidence_kind],
        f"{stage}_reference": [old[2], milestone.reference],
    }
    if wanted > current:
        changes["stage"] = [project.stage, stage]
        project.stage = stage
    audit.record("stage", project, changes)
    if wanted > current:
        from core.referrals import lead_moved  # the referrer hears of construction and production

        lead_moved(project.lead)
    return milestone


def clear_reservations_of(lead: Lead) -> None:
    """A lead merged away or lost keeps no plot."""
    db.session.execute(
        update(Plot)
        .where(Plot.reserved_for_id == lead.id, Plot.status == "reserved")
        .values(status="available", reserved_for_id=None, reserved_until=None)
    )


def flag_missed_deadlines(today: date | None = None) -> list[Project]:
    """Projects past their construction deadline without a proven start: incentives to review."""
    today = today or park_today()
    late = db.session.scalars(
        select(Project).where(
            Project.stage == "signed",
            Project.construction_deadline < today,
            Project.incentive_review.is_(False),
        )
    ).all()
    for project in late:
        project.incentive_review = True
        audit.record("flag", project, {"incentive_review": [False, True]}, actor="system")
    return list(late)


@dataclass(frozen=True)
class Deadline:
    day: date | None
    text: str
    overdue: bool


def deadline(project: Project, stage: str, today: date) -> Deadline:
    """A deadline and where the project stands against it, in calendar days of the park."""
    due = getattr(project, f"{stage}_deadline")
    if due is None:
        return Deadline(None, "", False)
    reached = project.milestone(stage)
    if reached is not None:
        late = (reached.reached_on - due).days
        if late > 0:
            text = ngettext("reached %(num)d day late", "reached %(num)d days late", late)
            return Deadline(due, text, True)
        return Deadline(due, gettext("reached in time"), False)
    left = (due - today).days
    if left > 0:
        return Deadline(due, ngettext("%(num)d day left", "%(num)d days left", left), False)
    if left == 0:
        return Deadline(due, gettext("due today"), False)
    return Deadline(due, ngettext("overdue by %(num)d day", "overdue by %(num)d days", -left), True)
