"""What every new lead goes through, whoever creates it (code name, clock, owner, duplicates),
and the history its moves from stage to stage leave (core.lead_moves makes the moves)."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from core import notifications, search
from core.code_names import assign_code_name
from core.extensions import db
from core.firm_pairs import all_known_different
from core.matching import normalise_company, normalise_email, normalise_phone
from core.matching.scoring import MERGE, SUGGEST, Firm, compare
from core.models import (
    FORWARD_RANK,
    AssignmentRule,
    Contact,
    DuplicateCandidate,
    Lead,
    StageChange,
    User,
)
from core.models.base import utcnow
from core.settings import get as setting
from core.settings import response_working_days
from core.workdays import deadline_after

# Leads compared in full at most, after the database kept those sharing a contact or the brand.
DUPLICATE_CANDIDATES = 2000
MISSPELT_CANDIDATES = 300
# The old name-only threshold, still used by the demo data to keep its firms apart.
DUPLICATE_COMPANY_SCORE = 85


def refresh_search_text(lead: Lead) -> None:
    """The keys a lead is found by after its names or contacts changed: search and matching."""
    search.refresh(lead)
    lead.company_key = normalise_company(lead.company_name_latin or lead.company_name)[:200]


# Fairs promise a first answer within two days of meeting the investor, counted in hours.
FAIR_RESPONSE_HOURS = 48


def start_response_clock(lead: Lead, hours: int | None = None, now: datetime | None = None):
    """Working days from the settings by default; fairs use hours (FAIR_RESPONSE_HOURS)."""
    now = now or utcnow()
    if hours is not None:
        lead.response_due_at = now + timedelta(hours=hours)
    else:
        lead.response_due_at = deadline_after(now, response_working_days())


def further(stage: str, other: str) -> str:
    """The further forward of two stages (Lost and unknown stages are behind New)."""
    return other if FORWARD_RANK.get(other, -1) > FORWARD_RANK.get(stage, -1) else stage


def _end_stay(lead: Lead, now: datetime) -> None:
    """The stay the lead's last change began ends now, whether that change is written yet or
    not; without a flush, so a move stays one write of the lead (one version)."""
    for change in db.session.new:
        if isinstance(change, StageChange) and change.lead_id == lead.id:
            change.ended_at = change.ended_at or now
    with db.session.no_autoflush:
        db.session.execute(
            update(StageChange)
            .where(StageChange.lead_id == lead.id, StageChange.ended_at.is_(None))
            .values(ended_at=now)
        )


def record_stage(
    lead: Lead, to_stage: str, user: User | None = None, at: datetime | None = None, **extra
) -> StageChange:
    """The history of a move: its stage change, the end of the last stay, the furthest stage and
    what the referrer sees. Moves go through core.lead_moves.move_lead, which calls this."""
    now = at or utcnow()
    _end_stay(lead, now)
    change = StageChange(lead_id=lead.id, from_stage=lead.stage, to_stage=to_stage, **extra)
    if user is not None:
        change.user_id = user.id
    lead.stage = to_stage
    lead.stage_changed_at = change.at = now
    lead.furthest_stage = further(lead.furthest_stage or "new", to_stage)
    db.session.add(change)
    from core.referrals import lead_moved  # imports this module: the referrer hears of moves

    lead_moved(lead)
    return change


def restate_history(lead_ids: Iterable[int]) -> None:
    """Work out again, from the leads' stage changes in order, when each stay ended and the
    furthest stage each lead reached: after a merge interleaves two histories, or a load that
    wrote the times itself."""
    ids = sorted(set(lead_ids))
    db.session.flush()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        leads = {
            lead.id: lead for lead in db.session.scalars(select(Lead).where(Lead.id.in_(chunk)))
        }
        for lead in leads.values():
            lead.furthest_stage = further("new", lead.stage)
        ended, previous = [], None
        for change in db.session.execute(
            select(StageChange.id, StageChange.lead_id, StageChange.to_stage, StageChange.at)
            .where(StageChange.lead_id.in_(chunk))
            .order_by(StageChange.lead_id, StageChange.at, StageChange.id)
        ):
            if previous is not None:
                same = previous.lead_id == change.lead_id
                ended.append({"id": previous.id, "ended_at": change.at if same else None})
            lead = leads[change.lead_id]
            lead.furthest_stage = further(lead.furthest_stage, change.to_stage)
            previous = change
        if previous is not None:
            ended.append({"id": previous.id, "ended_at": None})
        if ended:
            db.session.execute(update(StageChange), ended)
    db.session.flush()


def needs_liaison(lead: Lead) -> bool:
    amount = lead.investment_estimate
    return amount is not None and amount >= int(setting("liaison_threshold_cny"))


def _team_officers(team_id: int | None) -> list[User]:
    return db.session.scalars(
        select(User)
        .where(User.team_id == team_id, User.role == "officer", User.active.is_(True))
        .order_by(User.id)
    ).all()


def _next_in_team(rule: AssignmentRule) -> User | None:
    officers = _team_officers(rule.team_id)
    if not officers:
        return None
    after = [u for u in officers if rule.last_user_id is None or u.id > rule.last_user_id]
    chosen = (after or officers)[0]
    rule.last_user_id = chosen.id
    return chosen


def _applies(rule: AssignmentRule, language: str | None, industry: str | None) -> bool:
    if rule.kind == "language":
        return rule.match == language
    if rule.kind == "industry":
        return rule.match == industry
    return True


def _active_rules(*, lock: bool = False) -> list[AssignmentRule]:
    statement = (
        select(AssignmentRule)
        .where(AssignmentRule.active.is_(True))
        .order_by(AssignmentRule.position, AssignmentRule.id)
    )
    return db.session.scalars(statement.with_for_update() if lock else statement).all()


def auto_assign(lead: Lead) -> User | None:
    """The first active rule that matches gives the owner; round-robin within a team."""
    for rule in _active_rules(lock=True):
        if not _applies(rule, lead.language, lead.industry):
            continue
        owner = db.session.get(User, rule.user_id) if rule.user_id else _next_in_team(rule)
        if owner is not None and owner.active:
            lead.owner_id, lead.team_id = owner.id, owner.team_id
            return owner
    return None


def rule_owners(leads: Iterable[Lead], *, take_turns: bool = False) -> list[User | None]:
    """The owner auto_assign would give each lead in turn (None where no rule gives one), for a
    batch: the preview of a bulk assignment leaves the round-robins alone, the run (take_turns)
    moves them on as that many single assignments would."""
    rules = _active_rules(lock=take_turns)
    turns = {rule.id: rule.last_user_id for rule in rules}
    officers = {rule.team_id: _team_officers(rule.team_id) for rule in rules if not rule.user_id}
    owners: list[User | None] = []
    for lead in leads:
        owner = None
        for rule in rules:
            if not _applies(rule, lead.language, lead.industry):
                continue
            if rule.user_id:
                owner = db.session.get(User, rule.user_id)
            elif officers[rule.team_id]:
                team = officers[rule.team_id]
                last = turns[rule.id]
                owner = next((u for u in team if last is None or u.id > last), team[0])
                turns[rule.id] = owner.id
            if owner is not None and owner.active:
                break
            owner = None
        owners.append(owner)
    if take_turns:
        for rule in rules:
            rule.last_user_id = turns[rule.id]
    return owners


def rule_team(language: str | None, industry: str | None) -> int | None:
    """The team auto_assign would give a new lead of this language and industry, without taking
    a turn of any round-robin: where a referral of such a firm waits until it is decided."""
    for rule in _active_rules():
        if not _applies(rule, language, industry):
            continue
        if rule.user_id:
            owner = db.session.get(User, rule.user_id)
            if owner is not None and owner.active:
                return owner.team_id
        elif _team_officers(rule.team_id):
            return rule.team_id
    return None


def _firm(lead, contacts=None) -> Firm:
    """The matcher's view of a lead (or of a row of its columns with its contacts' (email,
    phone) pairs: candidates are compared without loading them as leads)."""
    if contacts is None:
        contacts = [(c.email, c.phone) for c in lead.contacts]
    latin = lead.company_name_latin if lead.company_name_latin != lead.company_name else ""
    phones = (normalise_phone(phone, lead.country) for _, phone in contacts if phone)
    return Firm(
        lead.company_name or "",
        latin or "",
        lead.country,
        tuple(normalise_email(email) for email, _ in contacts if email),
        tuple(filter(None, phones)),
        lead.id,
    )


def _candidate_firms(ids: set[int], active) -> list[Firm]:
    """The candidates as the matcher sees them, read as rows: most are set aside, and a lead
    with its contacts loaded cost several times its comparison."""
    rows = db.session.execute(
        select(Lead.id, Lead.company_name, Lead.company_name_latin, Lead.country)
        .where(*active, Lead.id.in_(ids))
        .order_by(Lead.id)
    ).all()
    contacts: dict[int, list] = {row.id: [] for row in rows}
    found = select(Contact.lead_id, Contact.email, Contact.phone).where(
        Contact.lead_id.in_(contacts)
    )
    for lead_id, email, phone in db.session.execute(found.order_by(Contact.id)):
        contacts[lead_id].append((email, phone))
    return [_firm(row, contacts[row.id]) for row in rows]


def _candidate_ids(firm: Firm, active) -> set[int]:
    """Leads that could be this firm: one address, phone or firm domain, or the brand in the
    key (the whole brand, or a piece of it a one-letter slip leaves whole)."""
    clauses = []
    if firm.mail:
        clauses.append(func.lower(Contact.email).in_(firm.mail))
    if firm.phones:
        clauses.append(Contact.phone.in_(firm.phones))
    clauses += [func.lower(Contact.email).like(f"%@{d}") for d in firm.domains]
    ids = set()
    if clauses:
        ids |= set(db.session.scalars(select(Contact.lead_id).where(or_(*clauses))))
    brands, pieces = set(), set()
    for part in firm.parts:
        brands |= {part.brand_key, part.folded_key}
        pieces |= {k[:4] for k in brands if len(k) >= 6} | {k[-4:] for k in brands if len(k) >= 6}
    # company_key writes the brand's pinyin in words (天府 -> "tianfu"): compare without spaces.
    joined = func.replace(Lead.company_key, " ", "")
    # The whole brand first, then pieces of it (a misspelt brand), each with a bound.
    for wanted, bound in ((brands, DUPLICATE_CANDIDATES), (pieces - brands, MISSPELT_CANDIDATES)):
        wanted = {w for w in wanted if len(w) >= 3}
        if wanted:
            clause = or_(*(joined.contains(w, autoescape=True) for w in wanted))
            ids |= set(db.session.scalars(select(Lead.id).where(*active, clause).limit(bound)))
    return ids


def possible_duplicates(lead: Lead, limit: int = 5) -> list[tuple[Lead, list[dict], int]]:
    """Leads the matcher merges with or suggests for this one (best first), with its reasons:
    a strong flag when the verdict is a default merge. Pairs marked different are left out."""
    firm = _firm(lead)
    active = (Lead.id != lead.id, Lead.merged_into_id.is_(None), Lead.anonymised_at.is_(None))
    ids = _candidate_ids(firm, active)
    if not ids:
        return []
    distinct = all_known_different()
    found = []
    for other in _candidate_firms(ids, active):
        verdict = compare(firm, other, known_different=distinct)
        if verdict.outcome in (MERGE, SUGGEST):
            found.append((other.ref, [r.as_dict() for r in verdict.reasons], verdict.score))
    found.sort(key=lambda item: -item[2])
    return [(db.session.get(Lead, ref), reasons, score) for ref, reasons, score in found[:limit]]


def flag_duplicates(lead: Lead) -> list[DuplicateCandidate]:
    flags = [
        DuplicateCandidate(lead_id=lead.id, other_id=other.id, reasons=reasons, score=score)
        for other, reasons, score in possible_duplicates(lead)
    ]
    db.session.add_all(flags)
    return flags


def on_create(lead: Lead, *, user: User | None = None, response_hours: int | None = None):
    """Call once a new lead and its contacts are added to the session."""
    db.session.flush()  # its id: the code name, the history
    # What follows reads without flushing: the lead is then written once, with its code name,
    # search keys, clock and owner, not once per read (four flushes and three updates before).
    with db.session.no_autoflush:
        assign_code_name(lead)
        refresh_search_text(lead)
        change = StageChange(lead_id=lead.id, from_stage=None, to_stage=lead.stage or "new")
        lead.furthest_stage = further("new", lead.stage or "new")
        change.user_id = user.id if user is not None else None
        db.session.add(change)
        start_response_clock(lead, hours=response_hours)
        if lead.owner_id is None and (owner := auto_assign(lead)) is not None:
            # The rules gave it an owner: they hear of it as of any assignment (the clock runs).
            notifications.lead_assigned(lead, owner, user)
        flag_duplicates(lead)
