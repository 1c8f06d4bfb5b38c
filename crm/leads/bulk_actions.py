"""What each bulk action on selected leads does: its options read from the request, its plan (the
preview: what happens to which lead, and which are skipped and why), and running that plan."""

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core import audit, notifications, outbox
from core.exports import MIMETYPES
from core.extensions import db
from core.lead_moves import NOTE_MAX, SIGNING_ROLES, move_lead
from core.leads import FAIR_RESPONSE_HOURS, rule_owners, start_response_clock
from core.models import LEAD_STAGES, Lead, ListItem, Team, User
from core.refusals import Refused
from core.stages import lead_stage_label
from crm.activities.emails import letter_language, render_letter
from crm.activities.forms import TEMPLATE_LABELS
from crm.activities.records import log_activity
from crm.permissions import can

ACTIONS = {
    "assign": _l("Assign"),
    "stage": _l("Change the stage"),
    "tag": _l("Add a tag"),
    "email": _l("Send an email"),
    "export": _l("Export"),
}
ASSIGN_MODES = {
    "officer": _l("To one officer"),
    "team": _l("Spread over a team, in turn"),
    "rules": _l("By the assignment rules"),
}
# Actions that take a role beyond changing leads; the others check each lead (officers: theirs).
ACTION_PERMISSIONS = {"assign": "lead.assign", "export": "lead.export"}
TAG_MAX = 40


@dataclass
class Plan:
    """The leads an action will change, each with what it gets, and those it skips, with why."""

    targets: list[tuple[Lead, object]] = field(default_factory=list)
    skipped: list[tuple[Lead, str]] = field(default_factory=list)

    def skip(self, lead: Lead, reason: str) -> None:
        self.skipped.append((lead, reason))

    def reasons(self) -> list[tuple[str, int]]:
        return Counter(reason for _, reason in self.skipped).most_common()


def active_officers(team_id: int | None = None) -> list[User]:
    statement = select(User).where(User.role == "officer", User.active.is_(True))
    if team_id is not None:
        statement = statement.where(User.team_id == team_id)
    return db.session.scalars(statement.order_by(User.id)).all()


def _int(raw) -> int | None:
    return int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 10 else None


def read_options(action: str, values) -> tuple[dict, list[str]]:
    """The chosen action's options; problems say what is missing or wrong, in words."""
    # Named apart from the list's filter keys (team, stage), which the selection carries too.
    options, problems = {}, []
    if action == "assign":
        mode = values.get("mode", "")
        if mode not in ASSIGN_MODES:
            return options, [gettext("Choose how to assign the leads.")]
        options["mode"] = mode
        if mode == "officer":
            officer = db.session.get(User, _int(values.get("to_officer")) or 0)
            if officer is None or not officer.active or officer.role != "officer":
                problems.append(gettext("Choose an active officer as owner."))
            options["officer"] = officer
        elif mode == "team":
            team = db.session.get(Team, _int(values.get("to_team")) or 0)
            officers = active_officers(team.id) if team else []
            if not officers:
                problems.append(gettext("Choose a team with at least one active officer."))
            options["team"], options["officers"] = team, officers
    elif action == "stage":
        stage = values.get("to_stage", "")
        if stage not in LEAD_STAGES:
            return options, [gettext("Choose a stage from the list.")]
        options["stage"] = stage
        options["note"] = values.get("note", "").strip()
        if len(options["note"]) > NOTE_MAX:
            problems.append(
                gettext("The note is too long (at most %(max)s characters).", max=NOTE_MAX)
            )
        if stage == "lost":
            reason = db.session.get(ListItem, _int(values.get("lost_reason")) or 0)
            if reason is None or reason.kind != "lost_reason" or not reason.active:
                problems.append(gettext("Choose the reason why the lead was lost."))
            options["lost_reason"] = reason
    elif action == "tag":
        tag = " ".join(values.get("tag", "").split())
        if not tag or len(tag) > TAG_MAX:
            problems.append(gettext("Give the tag 1 to %(count)d characters.", count=TAG_MAX))
        options["tag"] = tag
    elif action == "email":
        template = values.get("template", "")
        if template not in TEMPLATE_LABELS:
            return options, [gettext("Choose an email template.")]
        options["template"] = template
    elif action == "export":
        fmt = values.get("format", "")
        if fmt not in MIMETYPES:
            return options, [gettext("Choose the file format.")]
        options["format"] = fmt
    return options, problems


def plan(action: str, leads: list[Lead], options: dict, *, running: bool = False) -> Plan:
    """What the action does to each lead; `running` takes the assignment rules' turns."""
    result = Plan()
    if action == "assign":
        _plan_assign(result, leads, options, running)
    elif action == "stage":
        _plan_stage(result, leads, options)
    elif action == "tag":
        for lead in leads:
            if not can("lead.edit", lead):
                result.skip(lead, gettext("You may change only the leads you own."))
            elif options["tag"] in (lead.tags or []):
                result.skip(lead, gettext("It has this tag already."))
            else:
                result.targets.append((lead, options["tag"]))
    elif action == "email":
        _plan_email(result, leads)
    else:
        result.targets = [(lead, None) for lead in leads]
    return result


def _plan_assign(result: Plan, leads: list[Lead], options: dict, running: bool) -> None:
    mode = options["mode"]
    if mode == "rules":
        owners = rule_owners(leads, take_turns=running)
    elif mode == "team":
        # In turn over the team's officers, in the order of the leads: an even share each.
        team = options["officers"]
        owners = [team[i % len(team)] for i in range(len(leads))]
    else:
        owners = [options["officer"]] * len(leads)
    for lead, owner in zip(leads, owners, strict=True):
        if not can("lead.assign", lead):
            result.skip(lead, gettext("You may not assign this lead."))
        elif owner is None:
            result.skip(lead, gettext("No assignment rule gives it an owner."))
        elif lead.owner_id == owner.id:
            result.skip(lead, gettext("Its owner stays the same."))
        else:
            result.targets.append((lead, owner))


def _plan_stage(result: Plan, leads: list[Lead], options: dict) -> None:
    stage = options["stage"]
    for lead in leads:
        if not can("lead.move", lead):
            result.skip(lead, gettext("You may move only the leads you own."))
        elif lead.stage == stage:
            result.skip(
                lead,
                gettext("It is already in stage “%(stage)s”.", stage=lead_stage_label(stage)),
            )
        elif (
            stage == "signed"
            and current_user.role not in SIGNING_ROLES
            and lead.owner_id != current_user.id
        ):
            result.skip(lead, gettext("Only the lead's owner or a manager may mark it as signed."))
        else:
            result.targets.append((lead, stage))


def email_contact(lead: Lead):
    """The contact a bulk email goes to: the first with an email address."""
    return next((c for c in sorted(lead.contacts, key=lambda c: c.id) if c.email), None)


def _plan_email(result: Plan, leads: list[Lead]) -> None:
    for lead in leads:
        contact = email_contact(lead)
        if not can("activity.create", lead):
            result.skip(lead, gettext("You may not write to this lead's contacts."))
        elif lead.anonymised_at is not None:
            result.skip(lead, gettext("Its personal data was erased."))
        elif contact is None:
            result.skip(lead, gettext("No contact has an email address."))
        else:
            result.targets.append((lead, (contact, letter_language(contact, lead))))


def run(action: str, result: Plan, options: dict, progress=None) -> list[tuple[Lead, str]]:
    """Apply a plan, one audit entry per lead; returns the leads refused while running, with why
    (a refusal of one lead leaves the others to go on). `progress` hears each lead's number."""
    refused = []
    for done, (lead, target) in enumerate(result.targets, start=1):
        if action == "assign":
            _assign(lead, target)
        elif action == "stage":
            try:
                reason = options.get("lost_reason")
                move_lead(
                    lead,
                    target,
                    current_user,
                    lost_reason_id=reason.id if reason else None,
                    note=options["note"],
                )
            except Refused as refusal:
                refused.append((lead, refusal.message))
        elif action == "tag":
            before = list(lead.tags or [])
            lead.tags = [*before, target]
            audit.record("update", lead, {"tags": [before, lead.tags]})
        elif action == "email":
            contact, lang = target
            subject, body = render_letter(options["template"], lang, lead, contact)
            outbox.queue(
                kind="crm", to=contact.email, language=lang, subject=subject, body=body,
                lead_id=lead.id, automatic=False, answerable_by_lead=True,
                officer_name=current_user.name,
            )  # fmt: skip
            log_activity(lead, kind="email", direction="out", subject=subject, body=body)
        if progress is not None:
            progress(done)
    if action == "assign":  # one mail per officer, however many leads they were given
        notifications.leads_assigned(notifications.group_by_owner(result.targets), current_user)
    db.session.flush()
    return refused


def _assign(lead: Lead, officer: User) -> None:
    """As a single assignment records it, and a lead not yet answered gets a fresh first-response
    clock: the new owner has the whole time to answer (a fair's lead its hours)."""
    changes = {"owner_id": [lead.owner_id, officer.id]}
    if lead.team_id != officer.team_id:
        changes["team_id"] = [lead.team_id, officer.team_id]
    lead.owner_id, lead.team_id = officer.id, officer.team_id
    if lead.first_response_at is None:
        before = lead.response_due_at
        start_response_clock(lead, hours=FAIR_RESPONSE_HOURS if lead.event_id else None)
        changes["response_due_at"] = [before, lead.response_due_at]
    audit.record("assign", lead, changes)


def summary(action: str, result: Plan, options: dict) -> list[tuple[str, int, str]]:
    """The preview's lines: what the leads get, how many each, and for emails the subject of the
    first letter in each language."""
    if action == "assign":
        counts = Counter(owner for _, owner in result.targets)
        owners = sorted(counts.items(), key=lambda item: item[0].name)
        return [(owner.name, n, "") for owner, n in owners]
    if action == "email":
        first = {}
        for lead, (contact, lang) in result.targets:
            first.setdefault(lang, (lead, contact))
        counts = Counter(lang for _, (_, lang) in result.targets)
        return [
            (lang, n, render_letter(options["template"], lang, *first[lang])[0])
            for lang, n in sorted(counts.items())
        ]
    return []
