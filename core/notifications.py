"""Telling staff what concerns them: every event goes through notify(), which stores the in-app
notification (the CRM's bell) and, per the person's choice for that kind, mails it through the
outbox in their language; never to the one who did it. The events: leads assigned (one notice
for a bulk assignment), a reply received, a referral to decide, a liaison role given, an
approval step overdue, a mention in a note (@name)."""

import re
from collections import defaultdict
from collections.abc import Callable

from flask import render_template
from flask_babel import force_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select, update

from core import outbox
from core.code_names import shown_name
from core.extensions import db
from core.models import Lead, Notification, Project, Referral, User
from core.models.base import utcnow
from core.permissions import can
from core.urls import CRM_PATH, staff_base_url, staff_lead_url

# What each kind is called on the preferences page, in the order shown.
KIND_LABELS = {
    "lead_assigned": _l("A lead is assigned to me"),
    "reply_received": _l("An investor replied on my lead"),
    "referral_to_decide": _l("A referral waits for my team's decision"),
    "liaison_named": _l("I am named liaison for a lead"),
    "mentioned": _l("Someone mentions me in a note"),
    "approval_overdue": _l("An approval step I carry is overdue"),
}
# Also by e-mail unless the person chose otherwise. A referral mails the bureau's shared address
# already, so its notice stays in the CRM unless asked for.
MAIL_BY_DEFAULT = {kind: kind != "referral_to_decide" for kind in KIND_LABELS}
# The escalation mails its own (its second level waits for the first mail to have gone out):
# the choice is not the person's, the notice comes in the CRM as well.
ALWAYS_MAILED = frozenset({"approval_overdue"})
# @name (no spaces: "@李招商", "@AnnaSchmidt") or @username (the address before the @).
MENTION = re.compile(r"(?<![\w.@])@([\w][\w.\-]{0,60})")


def _told(person: User | None, by) -> bool:
    """Whether to tell the person: active, and not the one who did it (by: a user, or nobody
    signed in, as in a command)."""
    doer = getattr(by, "id", None) if getattr(by, "is_authenticated", False) else None
    return person is not None and person.active and doer != person.id


def wants_mail(person: User, kind: str) -> bool:
    if kind in ALWAYS_MAILED:
        return False  # mailed by its own job, not here
    chosen = person.notify_by_mail or {}
    return bool(chosen.get(kind, MAIL_BY_DEFAULT.get(kind, True)))


def notify(
    recipient: User | None,
    kind: str,
    *,
    record: tuple[str, int] | None = None,
    params: dict | None = None,
    by=None,
    mail: Callable[[], tuple[str, str]] | None = None,
    lead_id: int | None = None,
) -> Notification | None:
    """The one way staff are told: the notice in the CRM, and the mail (subject and body from
    `mail`, or the notice's sentence and link) if the person wants this kind by e-mail."""
    if not _told(recipient, by):
        return None
    notice = Notification(
        recipient_id=recipient.id,
        kind=kind,
        record_type=record[0] if record else None,
        record_id=record[1] if record else None,
        params=params or {},
        created_at=utcnow(),
    )
    db.session.add(notice)
    if wants_mail(recipient, kind):
        language = recipient.language or "zh"
        with force_locale(language):
            if mail is not None:
                subject, body = mail()
            else:
                subject = text(notice)
                body = render_template(
                    "mail/notification.txt", text=subject, url=staff_base_url() + link(notice)
                )
        outbox.queue(
            kind=kind, to=recipient.email, language=language, subject=subject, body=body,
            lead_id=lead_id,
        )  # fmt: skip
    return notice


# -- what a notice says and where it leads ------------------------------------------------------


def text(notice: Notification) -> str:
    """The notice as a sentence in the current language."""
    p = notice.params or {}
    company = p.get("company", "")
    if notice.kind == "lead_assigned":
        if p.get("count", 1) == 1:
            return gettext("A lead is yours now: %(company)s", company=company)
        return ngettext("%(num)d lead is yours now", "%(num)d leads are yours now", p["count"])
    if notice.kind == "reply_received":
        return gettext("The investor replied on %(company)s", company=company)
    if notice.kind == "referral_to_decide":
        return gettext(
            "New referral to decide: %(company)s, from %(enterprise)s",
            company=company,
            enterprise=p.get("enterprise", ""),
        )
    if notice.kind == "liaison_named":
        return gettext("You are the liaison for %(company)s", company=company)
    if notice.kind == "approval_overdue":
        from core.approvals import step_name  # approvals tells through this module

        return ngettext(
            "Approval overdue by %(num)d working day: %(step)s for %(company)s",
            "Approval overdue by %(num)d working days: %(step)s for %(company)s",
            p.get("days", 1),
            step=step_name(p.get("step", "")),
            company=company,
        )
    if notice.kind == "mentioned":
        return gettext(
            "%(name)s mentioned you on %(company)s", name=p.get("by", ""), company=company
        )
    return gettext("Notification")


def link(notice: Notification) -> str:
    """The path of the record a notice is about (the CRM's; core cannot build its routes)."""
    kind, record_id = notice.record_type, notice.record_id
    if kind == "lead":
        return f"{CRM_PATH}leads/{record_id}"
    if kind == "leads":
        return f"{CRM_PATH}leads?owner={record_id}"
    if kind == "referral":
        return f"{CRM_PATH}referrals/{record_id}"
    if kind == "project":
        return f"{CRM_PATH}projects/{record_id}"
    return f"{CRM_PATH}notifications"


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
    )


def mark_read(user: User, notice_id: int | None = None) -> int:
    """Mark one of the person's notices read (or all of them); how many changed."""
    query = update(Notification).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None)
    )
    if notice_id is not None:
        query = query.where(Notification.id == notice_id)
    return db.session.execute(query.values(read_at=utcnow())).rowcount


def forget(lead_ids: list[int], referral_ids: list[int]) -> None:
    """An anonymised lead's notices go: they name the firm (its projects' and referrals' too)."""
    projects = select(Project.id).where(Project.lead_id.in_(lead_ids))
    db.session.execute(
        delete(Notification).where(
            or_(
                and_(Notification.record_type == "lead", Notification.record_id.in_(lead_ids)),
                and_(
                    Notification.record_type == "referral",
                    Notification.record_id.in_(referral_ids),
                ),
                and_(Notification.record_type == "project", Notification.record_id.in_(projects)),
            )
        )
    )


# -- the events ---------------------------------------------------------------------------------


def lead_assigned(lead: Lead, owner: User, by: User | None) -> None:
    leads_assigned({owner: [lead]}, by)


def leads_assigned(by_owner: dict[User, list[Lead]], by: User | None) -> None:
    """One notice (and mail) per new owner, naming up to twenty of their new leads."""
    by = by if getattr(by, "is_authenticated", False) else None
    for owner, leads in by_owner.items():
        if not leads:
            continue

        def mail(owner=owner, leads=leads):
            if len(leads) == 1:
                subject = gettext("A lead is yours now: %(company)s", company=leads[0].company_name)
            else:
                subject = ngettext(
                    "%(num)d lead is yours now", "%(num)d leads are yours now", len(leads)
                )
            body = render_template(
                "mail/leads_assigned.txt",
                leads=[(lead, staff_lead_url(lead.id)) for lead in leads[:20]],
                more=max(0, len(leads) - 20),
                by=by,
                list_url=f"{staff_base_url()}/crm/leads?owner={owner.id}",
            )
            return subject, body

        one = len(leads) == 1
        notify(
            owner,
            "lead_assigned",
            record=("lead", leads[0].id) if one else ("leads", owner.id),
            params={"count": len(leads), "company": leads[0].company_name if one else ""},
            by=by,
            mail=mail,  # not on the lead's timeline (no lead_id): it is the bureau's own news
        )


def group_by_owner(pairs) -> dict[User, list[Lead]]:
    grouped: dict[User, list[Lead]] = defaultdict(list)
    for lead, owner in pairs:
        grouped[owner].append(lead)
    return grouped


def liaison_named(lead: Lead, leader: User, by: User | None) -> None:
    by = by if getattr(by, "is_authenticated", False) else None

    def mail():
        subject = gettext("You are the liaison for %(company)s", company=lead.company_name)
        body = render_template(
            "mail/liaison_named.txt", lead=lead, by=by, url=staff_lead_url(lead.id)
        )
        return subject, body

    notify(
        leader, "liaison_named", record=("lead", lead.id), params={"company": lead.company_name},
        by=by, mail=mail,
    )  # fmt: skip


def reply_received(owner: User, lead: Lead, mail_in, files: int, by: User | None = None) -> None:
    """The owner hears of the investor's reply (the notice names the company, not the sender:
    a person's name kept here would outlive their anonymisation)."""

    def mail():
        subject = gettext(
            "Reply from %(sender)s: %(subject)s",
            sender=mail_in.from_name or mail_in.from_address,
            subject=mail_in.subject or gettext("(no subject)"),
        )
        body = render_template(
            "mail/reply_received.txt",
            lead=lead,
            mail=mail_in,
            files=files,
            url=staff_lead_url(lead.id),
        )
        return subject, body

    notify(
        owner, "reply_received", record=("lead", lead.id),
        params={"company": shown_name(lead, owner)}, by=by, mail=mail, lead_id=lead.id,
    )  # fmt: skip


def referral_to_decide(referral: Referral, by: User | None = None) -> None:
    """Who decides a referral hears of it: its team's officers and managers, or, while it waits
    in the shared inbox, every officer and manager (core/referral_routing.py)."""
    query = select(User).where(User.active.is_(True), User.role.in_(("officer", "manager")))
    if referral.team_id is not None:
        query = query.where(User.team_id == referral.team_id)
    enterprise = referral.enterprise.display_name("zh") if referral.enterprise else ""
    for person in db.session.scalars(query.order_by(User.id)):
        notify(
            person, "referral_to_decide", record=("referral", referral.id),
            params={"company": referral.company_name, "enterprise": enterprise}, by=by,
        )  # fmt: skip


def approval_overdue(step, people: list[User], days: int) -> None:
    """In the CRM beside the escalation's mail: the agent carrying the step (and, one level up,
    the liaison)."""
    project = step.project
    for person in dict.fromkeys(people):
        notify(
            person, "approval_overdue", record=("project", project.id),
            params={
                "company": shown_name(project.lead, person),
                "step": step.kind,
                "days": days,
            },
        )  # fmt: skip


def mentioned_in(body: str, lead: Lead, by: User) -> list[User]:
    """Everyone named in a note (@name or @username) who may see the lead is told once."""
    names = {name.rstrip(".-").casefold() for name in MENTION.findall(body or "")}
    if not names:
        return []
    told = []
    for person in db.session.scalars(select(User).where(User.active.is_(True))):
        handles = {
            person.email.partition("@")[0].casefold(),
            re.sub(r"\s+", "", person.name).casefold(),
        }
        if not (handles & names and can("lead.view", lead, person)):
            continue  # a colleague who may not see the lead learns nothing of it
        if notify(
            person, "mentioned", record=("lead", lead.id),
            params={"company": shown_name(lead, person), "by": by.name}, by=by,
        ):  # fmt: skip
            told.append(person)
    return told
