"""Approval steps of a project's file: the list from content/, due days, overdue steps, escalation.

A step's time limit runs in working days (Chinese public holidays off) from its submission. An
overdue step escalates by email one level at a time: first to the park's agent carrying it, then,
once that mail has actually gone out and the configured number of further working days has
passed, to the department's contact and the project's liaison leader (naming the agent, who was
told, and their phone).
"""

from dataclasses import dataclass
from datetime import date

from flask import render_template
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import audit, notifications, outbox
from core.content import get_content
from core.extensions import db
from core.i18n import translated
from core.models import APPROVAL_STATUSES, ApprovalStep, OutboxEmail, Project, User
from core.models.base import utcnow
from core.refusals import Refused
from core.settings import get as setting
from core.urls import staff_base_url
from core.workdays import CHINA, add_working_days, working_days_between

STATUS_LABELS = {
    "not_started": _l("Not started"),
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "returned": _l("Returned for changes"),
}
assert set(STATUS_LABELS) == set(APPROVAL_STATUSES)

# Who is told at each level, in the bureau's working language.
STAFF_LANGUAGE = "zh"


def departments() -> dict[str, dict]:
    return {d["code"]: d for d in get_content()["approvals"]["departments"]}


def step_kinds() -> dict[str, dict]:
    return {s["code"]: s for s in get_content()["approvals"]["steps"]}


def department_name(code: str, lang: str | None = None) -> str:
    found = departments().get(code)
    return translated(found["name"], lang) if found else code


def step_name(code: str, lang: str | None = None) -> str:
    found = step_kinds().get(code)
    return translated(found["name"], lang) if found else code


def add_step(project: Project, kind: str, agent: User | None = None) -> ApprovalStep:
    spec = step_kinds().get(kind)
    if spec is None:
        raise Refused(gettext("Choose a step from the list."))
    if any(s.kind == kind for s in steps_of(project)):
        raise Refused(gettext("The file already has this step."))
    step = ApprovalStep(
        project_id=project.id,
        kind=kind,
        department=spec["department"],
        limit_days=int(spec["limit_days"]),
        agent_id=agent.id if agent else project.agent_id,
    )
    db.session.add(step)
    db.session.flush()
    audit.record("create", step, {"kind": [None, kind], "project": [None, project.id]})
    return step


def add_default_steps(project: Project) -> list[ApprovalStep]:
    """A new project's file starts with every step the list marks as default, not started."""
    return [
        add_step(project, code)
        for code, spec in step_kinds().items()
        if spec.get("default") and not any(s.kind == code for s in steps_of(project))
    ]


def steps_of(project: Project) -> list[ApprovalStep]:
    return list(
        db.session.scalars(
            select(ApprovalStep)
            .where(ApprovalStep.project_id == project.id)
            .order_by(ApprovalStep.id)
        )
    )


def update(
    step: ApprovalStep,
    *,
    status: str,
    submitted_on: date | None,
    approved_on: date | None,
    notes: str,
    agent_id: int | None,
    today: date,
) -> None:
    """Change a step; its due day follows its submission, and escalation starts again."""
    if status not in APPROVAL_STATUSES:
        raise Refused(gettext("Choose a status from the list."))
    if status in ("submitted", "approved", "returned") and submitted_on is None:
        raise Refused(gettext("Give the day the application was submitted."))
    if status == "approved" and approved_on is None:
        raise Refused(gettext("Give the day the department approved it."))
    for day in (submitted_on, approved_on):
        if day is not None and day > today:
            raise Refused(gettext("The day cannot be in the future."))
    if submitted_on and approved_on and approved_on < submitted_on:
        raise Refused(gettext("The approval cannot come before the submission."))
    if status != "approved":
        approved_on = None
    due_on = add_working_days(submitted_on, step.limit_days) if submitted_on else None
    new = {
        "status": status,
        "submitted_on": submitted_on,
        "approved_on": approved_on,
        "notes": notes.strip(),
        "agent_id": agent_id,
        "due_on": due_on,
    }
    changes = {k: [getattr(step, k), v] for k, v in new.items() if getattr(step, k) != v}
    if not changes:
        return
    for key, value in new.items():
        setattr(step, key, value)
    if "due_on" in changes or "status" in changes:
        step.escalation_level, step.escalated_at = 0, None
    audit.record("update", step, changes)


def is_overdue(step: ApprovalStep, today: date) -> bool:
    return step.status == "submitted" and step.due_on is not None and step.due_on < today


def days_overdue(step: ApprovalStep, today: date) -> int:
    """Working days past the due day (0 when not overdue)."""
    return max(0, working_days_between(step.due_on, today)) if is_overdue(step, today) else 0


# -- escalation --------------------------------------------------------------------------------


@dataclass
class Escalation:
    step: ApprovalStep
    level: int
    recipients: list[str]


def _recipients(step: ApprovalStep, level: int) -> list[str]:
    people = [step.agent.email] if step.agent and step.agent.active else []
    if level >= 2:
        contact = departments().get(step.department, {}).get("contact")
        if contact:
            people.append(contact)
        project = step.project
        liaison = project.liaison or project.lead.liaison
        if liaison is not None and liaison.active:
            people.append(liaison.email)
    return list(dict.fromkeys(people))


def _people(step: ApprovalStep, level: int) -> list[User]:
    """The staff among the recipients, told in the CRM too (a department is only an address)."""
    people = [step.agent] if step.agent else []
    if level >= 2:
        people.append(step.project.liaison or step.project.lead.liaison)
    return [person for person in people if person is not None]


def _subject(step: ApprovalStep) -> str:
    with force_locale(STAFF_LANGUAGE):
        name = step_name(step.kind, STAFF_LANGUAGE)
        company = step.project.lead.company_name
        return gettext("Overdue approval: %(step)s for %(company)s", step=name, company=company)


def _first_level_sent_on(step: ApprovalStep) -> tuple[date | None, bool]:
    """(the Beijing day the first level went out, whether anyone was told); (None, True) while
    its mail still waits in the outbox. The mail is known by its subject, lead and time."""
    told_at = step.escalated_at
    if told_at is None:
        return None, True
    mails = db.session.execute(
        select(OutboxEmail.status, OutboxEmail.sent_at).where(
            OutboxEmail.kind == "approval_overdue",
            OutboxEmail.lead_id == step.project.lead_id,
            OutboxEmail.subject == _subject(step)[: OutboxEmail.subject.type.length],
            OutboxEmail.created_at >= told_at,
        )
    ).all()
    if not mails:  # nobody could be told (no agent): the waiting runs from that day
        return told_at.astimezone(CHINA).date(), False
    sent = [at for status, at in mails if status == "sent" and at is not None]
    return (min(sent).astimezone(CHINA).date(), True) if sent else (None, True)


def _next_level(step: ApprovalStep, today: date, after: int) -> int | None:
    if step.escalation_level == 0:
        return 1
    if step.escalation_level == 1:
        sent_on, _told = _first_level_sent_on(step)
        if sent_on is not None and working_days_between(sent_on, today) >= after:
            return 2
    return None


def escalate(today: date) -> list[Escalation]:
    """Email what is newly due at the next level (periodic job); one level at a time, each once
    per due day: the second only after the first went out and `after` working days passed."""
    after = int(setting("escalation_working_days"))
    done = []
    overdue = db.session.scalars(
        select(ApprovalStep)
        .where(ApprovalStep.status == "submitted", ApprovalStep.due_on < today)
        .options(selectinload(ApprovalStep.agent), selectinload(ApprovalStep.project))
        .order_by(ApprovalStep.due_on, ApprovalStep.id)
    ).all()
    for step in overdue:
        level = _next_level(step, today, after)
        if level is None:
            continue
        told_on, agent_told = _first_level_sent_on(step) if level == 2 else (None, False)
        recipients = _recipients(step, level)
        for address in recipients:
            _queue(step, level, address, today, told_on=told_on if agent_told else None)
        notifications.approval_overdue(step, _people(step, level), days_overdue(step, today))
        audit.record(
            "escalate", step, {"escalation_level": [step.escalation_level, level]}, actor="system"
        )
        step.escalation_level, step.escalated_at = level, utcnow()
        done.append(Escalation(step, level, recipients))
    return done


def _queue(step: ApprovalStep, level: int, address: str, today: date, told_on) -> None:
    project = step.project
    with force_locale(STAFF_LANGUAGE):
        name = step_name(step.kind, STAFF_LANGUAGE)
        company = project.lead.company_name
        subject = _subject(step)
        body = render_template(
            "mail/approval_overdue.txt",
            step=step,
            level=level,
            name=name,
            company=company,
            project=project,
            agent=step.agent,
            told_on=told_on,
            department=department_name(step.department, STAFF_LANGUAGE),
            days=days_overdue(step, today),
            base_url=staff_base_url(),
        )
    outbox.queue(
        kind="approval_overdue",
        to=address,
        language=STAFF_LANGUAGE,
        subject=subject,
        body=body,
        lead_id=project.lead_id,
    )
