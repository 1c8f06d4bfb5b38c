"""Demo leads that did not sign for `make run`: the rest of the year's pipeline, open or lost."""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from core import leads as lifecycle
from core import projects
from core.audit import record
from core.extensions import db
from core.matching import normalise_company
from core.models import (
    FORWARD_STAGES,
    Contact,
    Enterprise,
    EnterpriseContact,
    Event,
    Lead,
    ListItem,
    StageChange,
    User,
)
from core.workdays import CHINA, is_working_day
from demo.enterprises import refer
from demo.leads import DEMO_LEADS, LIAISON_FROM
from demo.texts import INDUSTRY_WEIGHTS, LOST_NOTES, PIPELINE, Firm, draw_firm

PER_DAY = 1.3  # leads a day this year besides fairs and projects: about 435 by the end of November
LAST_QUARTER = 40  # leads from last year's last quarter, a few of them still open
FAIR_LEADS = (30, 45)  # cards and forms taken at each fair that already happened
SOURCES = (("website", 45), ("manual", 40), ("referral", 15))
PORTAL_REFERRERS = 0.6  # firms whose staff use the portal refer more than the others
# Per stage: the chance a lead goes on to the next, the days it takes to, and the days before a
# lead that does not go on is given up (lost); a lead still within them is open there. Nothing
# here signs: the year's signed leads are the demo projects'.
STEPS = {
    "new": (0.88, (0.2, 5), (14, 45)),
    "contacted": (0.55, (7, 45), (30, 90)),
    "qualified": (0.55, (14, 60), (30, 120)),
    "site_visit": (0.6, (10, 45), (30, 90)),
    "negotiation": (0.0, (0, 0), (30, 150)),
}
STALLED = 0.15  # of the leads past New that do not go on, those nobody has given up yet
# Reasons (codes of the admin list, crm/admin/lists.py) by the stage a lead was lost from.
LOST_FROM = {
    "new": ("no-response", "project-cancelled"),
    "contacted": ("no-response", "budget", "project-cancelled", "other-location"),
    "qualified": ("other-location", "budget", "land-or-power", "project-cancelled"),
    "site_visit": ("other-location", "land-or-power", "budget"),
    "negotiation": ("other-location", "budget", "land-or-power"),
}


@dataclass
class Plan:
    """One lead to create, decided before anything is written."""

    firm: Firm
    industry: str
    investment: Decimal
    created: datetime
    source: str
    event: Event | None = None
    rating: str | None = None
    moves: list[tuple[str, datetime]] = field(default_factory=list)  # after New, in order
    lost: tuple[str, str] | None = None  # (reason code, note) when the last move is to Lost
    referrer_id: int | None = None
    referred_at: datetime | None = None


def _moment(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), CHINA).astimezone(UTC)


def _days(rng: random.Random, first: date, last: date, count: int) -> list[date]:
    """count days from first to last; working days four times as likely as the others."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return rng.choices(days, [1 if is_working_day(d) else 0.25 for d in days], k=count)


def _amount(rng: random.Random) -> Decimal:
    """Mostly 20 to 450 million CNY, a few major projects above 500 million."""
    if rng.random() < 0.06:
        return Decimal(rng.randrange(500, 1500, 10)) * 1_000_000
    million = round(20 * (450 / 20) ** rng.random())
    return Decimal(round(million, -1) if million > 100 else million) * 1_000_000


def _moves(rng: random.Random, created: datetime, now: datetime, language: str) -> tuple:
    """How far the lead got by now: its moves, and (reason, note) if it was lost."""
    moves, stage, at = [], "new", created
    while True:
        chance, onward, given_up = STEPS[stage]
        if rng.random() < chance:
            at += timedelta(days=rng.uniform(*onward))
            if at > now:
                return moves, None
            stage = FORWARD_STAGES[FORWARD_STAGES.index(stage) + 1]
            moves.append((stage, at))
            continue
        at += timedelta(days=rng.uniform(*given_up))
        if at > now or (stage != "new" and rng.random() < STALLED):
            return moves, None
        reason = rng.choice(LOST_FROM[stage])
        note = rng.choice(LOST_NOTES[reason])[language != "zh"]
        moves.append(("lost", at))
        return moves, (reason, note)


def plan(
    rng: random.Random, today: date, now: datetime, fairs: list, referrers: tuple, names: list
) -> list[Plan]:
    """The year's pipeline in order of creation (referrers: every firm in the park, and those
    with portal contacts; names: the companies already there, which no new name may resemble)."""
    firms, portal_firms = referrers
    first = date(today.year, 1, 1)
    starts = [
        (day, None)
        for first_day, last_day, count in (
            (date(today.year - 1, 10, 1), date(today.year - 1, 12, 31), LAST_QUARTER),
            (first, today, round(PER_DAY * ((today - first).days + 1))),
        )
        for day in _days(rng, first_day, last_day, count)
    ]
    for fair in fairs:
        starts += [(fair.starts_on, fair)] * rng.randint(*FAIR_LEADS)
    keys = [normalise_company(name) for name in names]
    # Surnames and brands already in use: a new firm sharing one would look like the same firm.
    taken = {word for name in (*names, *keys) for word in name.split()}
    plans = []
    for day, fair in sorted(starts, key=lambda start: start[0]):
        source = "event" if fair else rng.choices(*zip(*SOURCES, strict=True))[0]
        if source == "referral" and not firms:
            source = "website"
        hours = (10, 17) if fair else (7, 23) if source == "website" else (9, 17)
        created = _moment(day, rng.randint(*hours), rng.randint(0, 59))
        if created > now:  # today's, later than now: earlier today or last night instead
            created = now - timedelta(minutes=rng.randint(20, 600))
        industry = rng.choices(*zip(*INDUSTRY_WEIGHTS, strict=True))[0]
        firm = draw_firm(rng, industry, taken, keys, PIPELINE)
        item = Plan(firm, industry, _amount(rng), created, source, fair)
        if fair is not None:
            item.rating = rng.choice(("hot", "warm", "warm", "cold"))
        if source == "referral":
            chosen = portal_firms if portal_firms and rng.random() < PORTAL_REFERRERS else firms
            item.referrer_id = rng.choice(chosen)
            item.referred_at = created - timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8))
        item.moves, item.lost = _moves(rng, created, now, firm.language)
        plans.append(item)
    return sorted(plans, key=lambda item: item.created)


def _user(handle: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == f"{handle}@qingyuan-port.example"))


def load_demo_pipeline(now: datetime | None = None) -> int:
    """Create the year's open and lost leads once (nothing when there are more leads that did
    not sign than the demo leads alone); how many."""
    unsigned = select(func.count()).select_from(Lead).where(Lead.stage != "signed")
    if db.session.scalar(unsigned) > len(DEMO_LEADS):
        return 0
    europe, china = _user("officer"), _user("officer2")
    if europe is None or china is None:
        return 0
    now = now or datetime.now(UTC)
    # No lead or move may lie after the park's today.
    today = min(now.astimezone(CHINA).date(), projects.park_today())
    now = min(now, _moment(today, 23))
    fairs = db.session.scalars(
        select(Event)
        .where(Event.starts_on >= date(today.year - 1, 10, 1), Event.starts_on < today)
        .order_by(Event.starts_on)
    ).all()
    referrers = (
        db.session.scalars(select(Enterprise.id).order_by(Enterprise.id)).all(),
        db.session.scalars(
            select(EnterpriseContact.enterprise_id)
            .distinct()
            .order_by(EnterpriseContact.enterprise_id)
        ).all(),
    )
    names = db.session.scalars(
        select(func.coalesce(Lead.company_name_latin, Lead.company_name))
    ).all()
    reasons = dict(
        db.session.execute(
            select(ListItem.code, ListItem.id).where(
                ListItem.kind == "lost_reason", ListItem.active.is_(True)
            )
        ).all()
    )
    leader = _user("leader")
    made = []
    # Nothing read back depends on rows still pending: on_create flushes what it needs.
    with db.session.no_autoflush:
        for item in plan(random.Random(2027), today, now, fairs, referrers, names):
            owner = china if item.firm.country == "CN" else europe
            made.append(_lead(item, owner, leader, reasons))
    ids = [lead.id for lead in made]
    db.session.flush()
    # The leads' first changes, written by on_create at the time of the load, in one statement.
    created = select(Lead.created_at).where(Lead.id == StageChange.lead_id).scalar_subquery()
    db.session.execute(
        update(StageChange)
        .where(StageChange.lead_id.in_(ids), StageChange.from_stage.is_(None))
        .values(at=created)
    )
    lifecycle.restate_history(ids)  # the moves were dated after they were recorded
    for lead in made:
        if lead.referrer_enterprise_id:
            refer(lead)
    db.session.commit()
    return len(made)


def _lead(item: Plan, owner: User, leader: User | None, reasons: dict) -> Lead:
    """The lead as staff would have entered it, then moved on the days of its plan."""
    firm, created = item.firm, item.created
    lead = Lead(
        source=item.source, company_name=firm.company, company_name_latin=firm.latin,
        country=firm.country, industry=item.industry, language=firm.language,
        planned_investment=item.investment, owner_id=owner.id, team_id=owner.team_id,
        event_id=item.event.id if item.event else None, rating=item.rating,
    )  # fmt: skip
    if item.event is not None:
        lead.captured_at, lead.captured_by_id = created, owner.id
    lead.contacts.append(
        Contact(name=firm.person, email=firm.email, phone=firm.phone, language=firm.language)
    )
    db.session.add(lead)
    lifecycle.on_create(lead, user=owner, response_hours=48 if item.event else None)
    lead.referrer_enterprise_id, lead.referred_at = item.referrer_id, item.referred_at
    if leader is not None and item.investment >= LIAISON_FROM:
        lead.liaison_id = leader.id
    lead.created_at = lead.stage_changed_at = created
    lead.response_due_at = created + timedelta(hours=48)
    for stage, moment in item.moves:
        extra = {}
        if stage == "lost":
            code, note = item.lost
            reason_id = reasons.get(code) or next(iter(reasons.values()), None)
            extra = {"lost_reason_id": reason_id, "note": note}
            lead.lost_reason_id, lead.lost_note = reason_id, note
        change = lifecycle.record_stage(lead, stage, owner, **extra)
        change.at = lead.stage_changed_at = moment
    if item.moves:
        if item.moves[0][0] == "contacted":
            lead.first_response_at = item.moves[0][1]
        lead.last_contact_at = item.moves[-1][1]
    record("create", lead, {"company_name": [None, firm.company]}, actor="system")
    return lead
