"""Demo projects for `make run`: a year in progress on the dashboard. Never in production.

Each project is a lead of its own carried to signing, opened as staff open one, its approval
steps and stages recorded on their days; random.Random(2026) makes the same year every time.
"""

import calendar
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core import approvals, incentives, projects
from core import leads as lifecycle
from core.audit import record
from core.extensions import db
from core.lead_moves import move_lead
from core.matching import normalise_company
from core.models import (
    Contact,
    Enterprise,
    Event,
    Lead,
    Plot,
    Project,
    StageChange,
    User,
)
from core.settings import get as setting
from core.workdays import CHINA, add_working_days, is_working_day
from demo.enterprises import refer
from demo.files import add_files
from demo.leads import LIAISON_FROM
from demo.texts import INDUSTRY_WEIGHTS, Firm, draw_firm

# Signings per month: spring, and the months after the fairs of May and June, are busiest.
MONTH_WEIGHTS = (4, 3, 9, 10, 11, 13, 12, 7, 8, 6, 7, 5)
BY_END_OF_NOVEMBER = 90  # projects signed in the year by then (fewer earlier in the year)
FEWEST = 12  # even in the first days of January the dashboard has something to show
UNPROVEN = 4  # recent signings whose agreement is not on file yet: they do not count
SOUTH_SHARE = 0.3
PLOTS_LEFT_FREE = {"north": 4, "south": 2}  # the public site still offers land
LEAD_PATH = ("contacted", "qualified", "site_visit", "negotiation", "signed")
SOURCES = (("website", 30), ("event", 30), ("referral", 15), ("manual", 25))
# When each default step is submitted, as a share of the time from signing to construction.
STEP_WINDOWS = {
    "project-filing": (0.0, 0.08), "business-registration": (0.0, 0.1),
    "tax-registration": (0.08, 0.2), "environmental-impact": (0.1, 0.35),
    "land-acquisition": (0.05, 0.3), "planning-permit": (0.35, 0.6),
    "construction-permit": (0.65, 0.85),
}  # fmt: skip
# Steps left waiting on signed projects, and how many working days past their due day.
OVERDUE = (
    ("environmental-impact", 1), ("land-acquisition", 7), ("planning-permit", 2),
    ("construction-permit", 14),
)  # fmt: skip


@dataclass
class Plan:
    """One project to create, decided before anything is written."""

    number: int
    signed_on: date
    firm: Firm
    industry: str
    investment: Decimal
    zone: str
    jobs: int
    construction_deadline: date
    production_deadline: date
    start: date | None  # the day construction starts (may lie after today: not reached yet)
    production: date | None
    proven: bool = True
    steps_before_start: bool = True
    overdue: tuple[str, int] | None = None  # a step left waiting: (kind, working days overdue)


def _user(handle: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == f"{handle}@qingyuan-port.example"))


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), CHINA).astimezone(UTC)


def _working_back(day: date, days: int) -> date:
    """The working day `days` working days before day (add_working_days backwards)."""
    while days > 0:
        day -= timedelta(days=1)
        days -= is_working_day(day)
    return day


def _next_working(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _shares(today: date) -> list[float]:
    """Each month's weight, the current month's in part, later months' none."""
    return [
        weight * min(1, max(0, (today - date(today.year, month, 1)).days + 1)
                     / calendar.monthrange(today.year, month)[1])
        for month, weight in enumerate(MONTH_WEIGHTS, start=1)
    ]  # fmt: skip


def how_many(today: date) -> int:
    """Projects signed by today: the month weights scaled to about 90 by the end of November."""
    return max(FEWEST, round(BY_END_OF_NOVEMBER * sum(_shares(today)) / sum(MONTH_WEIGHTS[:11])))


def _signing_days(rng: random.Random, today: date, count: int) -> list[date]:
    """count days up to today, shared out by month weight; weekdays more likely than weekends."""
    shares = _shares(today)
    wanted = [count * share / sum(shares) for share in shares]
    quotas = [int(w) for w in wanted]
    for month in sorted(range(12), key=lambda m: quotas[m] - wanted[m])[: count - sum(quotas)]:
        quotas[month] += 1
    days = []
    for month, quota in enumerate(quotas, start=1):
        first, length = date(today.year, month, 1), calendar.monthrange(today.year, month)[1]
        month_days = [first + timedelta(days=n) for n in range(length)]
        month_days = [d for d in month_days if d <= today]
        if quota and month_days:
            weights = [1 if is_working_day(d) else 0.2 for d in month_days]
            days += rng.choices(month_days, weights, k=quota)
    return sorted(days)


def _amounts(rng: random.Random, count: int) -> list[Decimal]:
    """Investments from 30 million to 2 billion CNY; a few major ones at each threshold."""
    billions, majors = max(1, round(count * 0.035)), max(2, round(count * 0.055))
    millions = [rng.randint(1000, 2000) for _ in range(billions)]
    millions += [rng.randrange(500, 1000, 10) for _ in range(majors)]
    while len(millions) < count:
        millions.append(round(30 * (450 / 30) ** rng.random()))
    rng.shuffle(millions)
    return [Decimal(m) * 1_000_000 for m in millions]


def plan(rng: random.Random, today: date, names: Iterable[str] = ()) -> list[Plan]:
    """What the year holds: signings, firms, amounts, the days each project moves on (names:
    the companies already there, which no new name may resemble)."""
    count = how_many(today)
    days, amounts = _signing_days(rng, today, count), _amounts(rng, count)
    south = round(count * SOUTH_SHARE)
    zones = ["south"] * south + ["north"] * (count - south)
    rng.shuffle(zones)
    taken: set[str] = set()
    keys, plans = [normalise_company(name) for name in names], []
    for number, (signed_on, investment, zone) in enumerate(zip(days, amounts, zones, strict=True)):
        industry = rng.choices(*zip(*INDUSTRY_WEIGHTS, strict=True))[0]
        found = draw_firm(rng, industry, taken, keys)
        window = rng.randint(90, 180)
        # Shares that wait (funding, utilities) and that wait or start late: the south area's
        # utilities are still being laid.
        stalled, stalled_or_late = (0.22, 0.55) if zone == "south" else (0.1, 0.2)
        roll = rng.random()
        if roll < stalled:
            start = None
        elif roll < stalled_or_late:
            start = signed_on + timedelta(days=window + rng.randint(4, 45))
        else:
            quick = 100 if zone == "north" else window - 5  # the north area is ready to build
            start = signed_on + timedelta(days=rng.randint(30, min(quick, window - 5)))
        # Standard workshops let a firm produce within months; its own plant takes longer.
        fitted = rng.random() < 0.4
        production = None
        if start is not None:
            days_on = rng.randint(*((45, 120) if fitted else (150, 300)))
            production = start + timedelta(days=days_on)
        jobs = int(investment / 1_000_000 * Decimal(str(rng.uniform(0.4, 1.5))))
        plans.append(
            Plan(
                number=number + 1, signed_on=signed_on, firm=found, industry=industry,
                investment=investment, zone=zone,
                jobs=min(1500, max(30, round(jobs, -1))),
                construction_deadline=signed_on + timedelta(days=window),
                production_deadline=signed_on + timedelta(days=rng.randint(365, 545)),
                start=start, production=production,
                steps_before_start=rng.random() < 0.88,
            )
        )  # fmt: skip
    waiting = [p for p in plans if p.start is None or p.start > today]
    for p in waiting[-UNPROVEN:]:
        p.proven = False
    # Signed long enough ago for a step to be submitted and then past its limit.
    old = [p for p in waiting if p.proven and p.signed_on <= today - timedelta(days=70)]
    for p, overdue in zip(rng.sample(old, min(len(old), len(OVERDUE))), OVERDUE, strict=False):
        p.overdue = overdue
    return plans


def load_demo_projects(now: datetime | None = None) -> int:
    """Create a year of projects once (nothing when more than one project exists); how many."""
    if db.session.scalar(select(func.count()).select_from(Project)) > 1:
        return 0
    officers = [_user("officer"), _user("officer2")]
    if None in officers:
        return 0
    now = now or datetime.now(UTC)
    # Milestones may not lie after the park's today (core.projects.reach refuses them).
    today = min(now.astimezone(CHINA).date(), projects.park_today())
    now = min(now, _moment(today, 23))
    rng = random.Random(2026)
    europe, china = officers
    leader = _user("leader")
    events = db.session.scalars(select(Event).where(Event.starts_on <= today)).all()
    firms = db.session.scalars(select(Enterprise).order_by(Enterprise.id)).all()
    made = []
    names = db.session.scalars(
        select(func.coalesce(Lead.company_name_latin, Lead.company_name))
    ).all()
    # Nothing read back depends on rows still pending (the code flushes where it needs ids):
    # without a flush before every query the year loads in about half the time.
    with db.session.no_autoflush:
        for item in plan(rng, today, names):
            owner = china if item.firm.country == "CN" else europe
            lead = _lead(rng, item, owner, leader, events, firms)
            agent = rng.choice(officers)
            made.append((item, _project(rng, item, lead, agent, today, now)))
    _plots(made)
    majors = sorted(
        (pair for pair in made if pair[0].investment >= LIAISON_FROM),
        key=lambda pair: -pair[0].investment,
    )
    add_files(rng, majors, today)
    db.session.flush()  # the projects' stages, which their referrers' steps are read from
    for lead in (project.lead for _, project in made if project.lead.referrer_enterprise_id):
        refer(lead)
    db.session.commit()
    return len(made)


def _lead(rng, item: Plan, owner: User, leader, events: list, firms: list) -> Lead:
    """The firm's lead, created months before the signing and moved through every stage."""
    firm = item.firm
    signed_at = _moment(item.signed_on)
    created = signed_at - timedelta(days=rng.randint(40, 220), hours=rng.randint(0, 6))
    source = rng.choices(*zip(*SOURCES, strict=True))[0]
    # A fair of ours in the ten months before, and long enough before to get to know the firm.
    first, last = item.signed_on - timedelta(days=300), item.signed_on - timedelta(days=20)
    fairs = [e for e in events if first <= e.starts_on <= last]
    event = None
    if source == "event" and fairs:
        event = max(fairs, key=lambda e: e.starts_on) if rng.random() < 0.6 else rng.choice(fairs)
        created = _moment(event.starts_on, 11) + timedelta(minutes=rng.randint(0, 420))
    elif source == "event" or (source == "referral" and not firms):
        source = rng.choice(("website", "manual"))  # no fair of ours before the signing
    lead = Lead(
        source=source, company_name=firm.company, company_name_latin=firm.latin,
        country=firm.country, industry=item.industry, language=firm.language,
        planned_investment=item.investment, owner_id=owner.id, team_id=owner.team_id,
        event_id=event.id if event else None, rating="hot" if event else None,
    )  # fmt: skip
    if event is not None:
        lead.captured_at, lead.captured_by_id = created, owner.id
    lead.contacts.append(
        Contact(name=firm.person, email=firm.email, phone=firm.phone, language=firm.language)
    )
    db.session.add(lead)
    lifecycle.on_create(
        lead, user=owner, response_hours=lifecycle.FAIR_RESPONSE_HOURS if event else None
    )
    if source == "referral":  # credited to a firm in the park, referred before the lead existed
        lead.referrer_enterprise_id = rng.choice(firms).id
        lead.referred_at = created - timedelta(days=rng.randint(1, 10))
    if leader is not None and item.investment >= LIAISON_FROM:
        lead.liaison_id = leader.id
    lead.created_at, lead.response_due_at = created, created + timedelta(hours=48)
    db.session.flush()  # the creation's stage change, dated below
    db.session.execute(
        StageChange.__table__.update().where(StageChange.lead_id == lead.id).values(at=created)
    )
    marks = sorted(rng.uniform(0.1, 0.95) for _ in LEAD_PATH[1:-1])
    moments = [
        created + timedelta(hours=rng.randint(4, 40)),
        *(created + (signed_at - created) * mark for mark in marks),
        signed_at,
    ]
    for stage, moment in zip(LEAD_PATH, moments, strict=True):
        # Signing opens the project (_project completes it); the load's audit entry stands
        # for the moves.
        move_lead(lead, stage, owner, at=moment, audited=False)
    lifecycle.restate_history([lead.id])  # the moves were dated after they were recorded
    lead.last_contact_at = signed_at
    record("create", lead, {"company_name": [None, firm.company]}, actor="system")
    return lead


def _project(rng, item: Plan, lead: Lead, agent: User, today: date, now: datetime) -> Project:
    """The project as opened at signing, its deadlines and proof, its file and its stages."""
    project = projects.open_project(lead, agent)  # opened by the signing move, by its owner
    project.milestones[0].recorded_by = agent
    project.signed_on = project.milestones[0].reached_on = item.signed_on
    # The version in force on the day (before the first one on file: none, no incentives).
    rules = incentives.current_policy(item.signed_on)
    if rules:
        project.policy_version = str(rules["version"])
    project.jobs_planned, project.zone, project.agent_id = item.jobs, item.zone, agent.id
    project.construction_deadline = item.construction_deadline
    project.production_deadline = item.production_deadline
    if item.proven:
        number = item.number + (item.number >= 17)  # QYGY-…-017 is the demo lead's agreement
        projects.reach(
            project, "signed", item.signed_on, agent, evidence_kind="reference",
            reference=f"QYGY-{item.signed_on.year}-{number:03d} 投资协议",
        )  # fmt: skip
    _steps(rng, item, project, today, now)
    if item.proven and item.start is not None and item.start <= today:
        projects.reach(
            project, "construction", item.start, agent, evidence_kind="reference",
            reference=f"510129{item.start:%Y%m%d}{item.number:04d} 施工许可证",
        )  # fmt: skip
        if item.production is not None and item.production <= today:
            projects.reach(
                project, "production", item.production, agent, evidence_kind="reference",
                reference=f"QY-JG-{item.production.year}-{item.number:03d} 竣工验收备案表",
            )  # fmt: skip
    return project


def _steps(rng, item: Plan, project: Project, today: date, now: datetime) -> None:
    """The default steps submitted and approved on their days, the due day from each submission."""
    end = item.start or item.construction_deadline + timedelta(days=45)
    span = max(30, (end - item.signed_on).days)
    started = item.start is not None and item.start <= today
    agent_id = project.agent_id
    for step in approvals.steps_of(project):
        lo, hi = STEP_WINDOWS.get(step.kind, (0.1, 0.6))
        sub = _next_working(item.signed_on + timedelta(days=round(1 + span * rng.uniform(lo, hi))))
        if started:
            sub = min(sub, item.start - timedelta(days=1))
        limit = step.limit_days
        late = rng.random() < 0.12
        approved = add_working_days(sub, limit + rng.randint(1, 6) if late else rng.randint(
            max(1, limit // 3), limit))  # fmt: skip
        if started and item.steps_before_start and approved >= item.start:
            approved = max(sub, item.start - timedelta(days=1))
        if item.overdue and item.overdue[0] == step.kind:
            _left_waiting(step, item.overdue[1], agent_id, today, now)
            continue
        if sub > today:
            approvals.update(
                step, status="not_started", submitted_on=None, approved_on=None, notes="",
                agent_id=agent_id, today=today,
            )  # fmt: skip
            continue
        if approved > today and add_working_days(sub, limit) < today:
            approved = add_working_days(sub, rng.randint(1, limit))  # only the chosen few wait
        approvals.update(
            step, status="submitted", submitted_on=sub, approved_on=None, notes="",
            agent_id=agent_id, today=sub,
        )  # fmt: skip
        if approved <= today:
            approvals.update(
                step, status="approved", submitted_on=sub, approved_on=approved,
                notes="补正材料后审结" if approved > step.due_on else "", agent_id=agent_id,
                today=approved,
            )  # fmt: skip


def _left_waiting(step, days: int, agent_id: int, today: date, now: datetime) -> None:
    """A step due `days` working days ago, escalated as the morning cron would have done."""
    due = _working_back(today, days)
    submitted = _working_back(due, step.limit_days)
    approvals.update(
        step, status="submitted", submitted_on=submitted, approved_on=None,
        notes="部门尚未出具意见", agent_id=agent_id, today=submitted,
    )  # fmt: skip
    after = int(setting("escalation_working_days"))
    level = 2 if approvals.days_overdue(step, today) >= after else 1
    told = add_working_days(step.due_on, after if level == 2 else 1)
    record("escalate", step, {"escalation_level": [0, level]}, actor="system")
    step.escalation_level, step.escalated_at = level, min(now, _moment(told, 9))


def _plots(made: list[tuple[Plan, Project]]) -> None:
    """Free plots go to the largest projects under way in their zone; a few stay on offer."""
    free = db.session.scalars(
        select(Plot).where(Plot.status == "available").order_by(Plot.code)
    ).all()
    for zone, keep in PLOTS_LEFT_FREE.items():
        plots = sorted((p for p in free if p.zone == zone), key=lambda p: -p.area_m2)
        building = sorted(
            (p for _, p in made if p.zone == zone and p.stage != "signed"),
            key=lambda p: -p.investment,
        )
        for plot, project in zip(plots[: max(0, len(plots) - keep)], building, strict=False):
            projects.allocate(project, [plot])
