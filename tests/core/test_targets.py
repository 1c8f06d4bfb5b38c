"""The dashboard's counting rules (core/targets.py), one by one, on constructed projects."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from core import lead_flow, projects, targets
from core.extensions import db
from core.leads import record_stage, restate_history
from core.models import (
    ApprovalStep,
    AuditEntry,
    Enterprise,
    Event,
    Lead,
    StageChange,
    User,
)
from tests.factories import beijing, make_cast, make_lead, make_project

YEAR = 2026


def record_investment(project, at: datetime, old, new) -> None:
    db.session.add(
        AuditEntry(
            at=at,
            actor="user:1",
            action="update",
            entity_type="Project",
            entity_id=project.id,
            changes={"investment": [None if old is None else f"{old}.00", f"{new}.00"]},
        )
    )
    project.investment = Decimal(new)


@pytest.fixture
def ctx(app):
    with app.app_context(), app.test_request_context():
        yield make_cast()


def test_targets_come_from_the_content_file_with_a_default_for_other_years(ctx):
    goals = targets.targets_for(YEAR)
    assert goals.configured
    assert goals.figures == {"signed": 150, "construction": 100, "production": 50}
    assert goals.deadlines == {"south": date(2026, 9, 30), "north": date(2026, 9, 30)}
    later = targets.targets_for(2031)
    assert not later.configured and later.deadlines["south"] == date(2031, 9, 30)
    assert targets.major_thresholds() == [Decimal(500_000_000), Decimal(1_000_000_000)]
    assert {z["code"]: z["rule"] for z in targets.zone_rules()} == {
        "south": "all",
        "north": "majority",
    }


def test_cumulative_keeps_months_to_come_empty():
    assert targets.cumulative([1, 0, 2, None, None]) == [1, 1, 3, None, None]


def test_a_project_counts_as_signed_only_with_its_proof(ctx):
    make_project(signed_on=date(YEAR, 3, 2))
    make_project(signed_on=date(YEAR, 3, 5), proof=False)
    unproven = make_project(signed_on=date(YEAR, 4, 1), proof=False)
    unproven.milestone("signed").evidence_kind = "document"  # a kind, but no file nor reference
    no_kind = make_project(signed_on=date(YEAR, 4, 2), proof=False)
    no_kind.milestone("signed").reference = "Agreement on paper"  # a reference, but no kind
    make_project(signed_on=date(YEAR - 1, 12, 30))  # last year's
    counts, amounts = targets.signed_by_month(YEAR)
    assert counts == [0, 0, 1] + [0] * 9
    assert amounts[2] == Decimal(100_000_000) and amounts[3] == 0


def test_a_project_signed_again_counts_once(ctx):
    manager = db.session.get(User, ctx.manager)
    project = make_project(signed_on=date(YEAR, 5, 6))
    lead = project.lead
    # Back to negotiation and signed again: the lead keeps its one project.
    for stage in ("negotiation", "signed"):
        db.session.add(StageChange(lead_id=lead.id, from_stage=lead.stage, to_stage=stage))
        lead.stage = stage
    assert projects.open_project(lead, manager) is project
    db.session.flush()
    assert targets.signed_by_month(YEAR)[0] == [0, 0, 0, 0, 1] + [0] * 7


def test_stages_count_in_the_month_of_their_proven_day(ctx):
    make_project(signed_on=date(YEAR - 1, 11, 1), construction=date(YEAR, 1, 31))
    make_project(construction=date(YEAR, 2, 1), production=date(YEAR, 8, 20))
    make_project(construction=date(YEAR, 2, 3), construction_proof=False)
    make_project(construction=date(YEAR + 1, 1, 1))
    reached = targets.reached_by_month(YEAR)
    assert reached["construction"] == [1, 1] + [0] * 10
    assert reached["production"] == [0] * 7 + [1] + [0] * 4


def test_signed_investment_counts_an_increase_only_as_its_increment(ctx):
    project = make_project(signed_on=date(YEAR, 2, 10), investment=80_000_000)
    # Set right on the signing day (China time): part of the signing figure.
    record_investment(project, beijing(YEAR, 2, 10, 23, 30), 80_000_000, 100_000_000)
    # A capital increase recorded later: only the 50 million more, in its month (May).
    record_investment(project, beijing(YEAR, 5, 3, 9, 0), 100_000_000, 150_000_000)
    # Recorded next year: not this year's; next year counts it.
    record_investment(project, beijing(YEAR + 1, 1, 5, 9, 0), 150_000_000, 160_000_000)
    make_project(signed_on=date(YEAR, 2, 20), investment=30_000_000)
    db.session.flush()
    monthly = targets.signed_investment_by_month(YEAR)
    assert monthly[1] == Decimal(130_000_000)
    assert monthly[4] == Decimal(50_000_000)
    assert sum(monthly) == Decimal(180_000_000)
    assert targets.signed_investment_by_month(YEAR + 1)[0] == Decimal(10_000_000)
    by_source = lead_flow.breakdowns(YEAR)["source"]["website"]
    assert by_source.signed == 2 and by_source.investment == Decimal(180_000_000)


def test_an_unproven_project_brings_no_investment(ctx):
    project = make_project(signed_on=date(YEAR, 2, 10), proof=False)
    record_investment(project, beijing(YEAR, 5, 3, 9, 0), 100_000_000, 150_000_000)
    db.session.flush()
    assert sum(targets.signed_investment_by_month(YEAR)) == 0
    assert targets.investment_changes(YEAR) == []


def test_months_are_the_park_calendar(ctx):
    project = make_project(signed_on=date(YEAR, 1, 15), investment=10_000_000)
    # 31 March 16:30 UTC is already 1 April, 00:30 in Beijing.
    record_investment(project, datetime(YEAR, 3, 31, 16, 30, tzinfo=UTC), 10_000_000, 12_000_000)
    db.session.flush()
    monthly = targets.signed_investment_by_month(YEAR)
    assert monthly[2] == 0 and monthly[3] == Decimal(2_000_000)
    # Leads: 31 December 16:30 UTC belongs to the next year in Beijing.
    for moment in (
        datetime(YEAR - 1, 12, 31, 16, 30, tzinfo=UTC),  # 1 January, 00:30 in Beijing: this year
        datetime(YEAR, 12, 31, 16, 30, tzinfo=UTC),  # 1 January of next year in Beijing
    ):
        lead = make_lead("Zeitzone AG", email=None)
        lead.created_at = moment
    db.session.flush()
    created = db.session.query(Lead).filter(Lead.company_name == "Zeitzone AG").count()
    assert created == 2
    this_year = lead_flow.breakdowns(YEAR)["country"]["DE"].leads
    next_year = lead_flow.breakdowns(YEAR + 1)["country"]["DE"].leads
    assert next_year == 1
    assert this_year == 1 + 1  # and the project's own lead, created the day it was signed


def test_zone_deadlines_count_proven_starts_by_the_day(ctx):
    day = date(YEAR, 9, 30)
    make_project(zone="south", construction=day)
    make_project(zone="south", construction=day + timedelta(days=1))  # a day late
    for started in (date(YEAR, 6, 1), date(YEAR, 9, 1)):
        make_project(zone="north", construction=started)
    make_project(zone="north", construction=date(YEAR, 6, 1), construction_proof=False)
    make_project(zone="north", proof=False, construction=date(YEAR, 6, 1))  # signing unproven
    make_project(zone="south", signed_on=date(YEAR - 1, 5, 1), construction=date(YEAR, 1, 5))
    result = {z.zone: z for z in targets.zone_deadlines(YEAR)}
    south, north = result["south"], result["north"]
    assert (south.signed, south.started, south.share, south.met) == (2, 1, 0.5, False)
    assert (north.signed, north.started, north.met) == (3, 2, True)
    assert north.share == pytest.approx(2 / 3)
    empty = {z.zone: z for z in targets.zone_deadlines(YEAR + 3)}
    assert empty["south"].signed == 0 and empty["south"].met is None


def test_north_needs_more_than_half():
    half = targets.ZoneResult("north", "majority", date(YEAR, 9, 30), signed=4, started=2)
    assert half.met is False
    assert targets.ZoneResult("south", "all", date(YEAR, 9, 30), signed=3, started=3).met


def test_projects_at_risk_with_their_reasons(ctx, monkeypatch):
    today = date(YEAR, 6, 1)
    monkeypatch.setattr(projects, "park_today", lambda: today)
    soon = make_project("Soon GmbH", deadline=today + timedelta(days=30))
    past = make_project("Past GmbH", deadline=today - timedelta(days=3))
    make_project("Later GmbH", deadline=today + timedelta(days=31))
    make_project("Building GmbH", deadline=today, construction=today - timedelta(days=1))
    stuck = make_project("Stuck GmbH", deadline=today + timedelta(days=200))
    steps = db.session.query(ApprovalStep).filter_by(project_id=stuck.id).order_by("id").all()
    steps[0].status, steps[0].due_on = "submitted", today - timedelta(days=1)
    steps[1].status, steps[1].due_on = "submitted", today - timedelta(days=5)
    steps[2].status, steps[2].due_on = "submitted", today  # due today: not overdue yet
    steps[3].status, steps[3].due_on = "approved", today - timedelta(days=9)
    db.session.flush()
    risks = {r.project.lead.company_name: r for r in targets.at_risk()}
    assert set(risks) == {"Soon GmbH", "Past GmbH", "Stuck GmbH"}
    assert (risks["Soon GmbH"].days_left, risks["Soon GmbH"].overdue_steps) == (30, 0)
    assert (
        risks["Past GmbH"].days_left == -3
        and risks["Past GmbH"].deadline == past.construction_deadline
    )
    assert risks["Stuck GmbH"].days_left is None and risks["Stuck GmbH"].overdue_steps == 2
    assert soon.id in {r.project.id for r in targets.at_risk(today)}


def test_major_projects_at_each_threshold(ctx):
    make_project("Half GmbH", investment=499_999_999)
    make_project("Big GmbH", investment=500_000_000)
    make_project("Huge GmbH", investment=1_200_000_000)
    make_project("Unproven GmbH", investment=2_000_000_000, proof=False)
    make_project("Old GmbH", investment=3_000_000_000, signed_on=date(YEAR - 1, 6, 1))
    found = targets.major_projects(YEAR)
    names = {t: [p.lead.company_name for p in rows] for t, rows in found.items()}
    assert names == {
        Decimal(500_000_000): ["Huge GmbH", "Big GmbH"],
        Decimal(1_000_000_000): ["Huge GmbH"],
    }


def _lead_with_history(name: str, moves: list[tuple[str, datetime]], **fields) -> Lead:
    lead = Lead(
        source=fields.get("source", "website"), company_name=name,
        country=fields.get("country", "DE"), industry="precision-machinery", language="en",
        stage=moves[-1][0], created_at=moves[0][1],
        event_id=fields.get("event_id"), referrer_enterprise_id=fields.get("referrer"),
    )  # fmt: skip
    db.session.add(lead)
    db.session.flush()
    previous = None
    for stage, at in moves:
        db.session.add(StageChange(lead_id=lead.id, from_stage=previous, to_stage=stage, at=at))
        previous = stage
    restate_history([lead.id])  # as a load that writes its own times does
    return lead


def test_moves_keep_what_the_history_says(ctx):
    """record_stage keeps the furthest stage and the end of each stay as they move; working them
    out again from the history gives the same."""
    lead = _lead_with_history("Moving", [("new", beijing(YEAR, 4, 1, 9, 0))])
    for stage in ("contacted", "qualified", "site_visit", "lost", "contacted", "qualified"):
        record_stage(lead, stage)
    db.session.flush()

    def kept():
        db.session.expire_all()
        changes = db.session.scalars(
            select(StageChange).where(StageChange.lead_id == lead.id).order_by(StageChange.id)
        ).all()
        return db.session.get(Lead, lead.id).furthest_stage, [
            (c.to_stage, c.at, c.ended_at) for c in changes
        ]

    moved = kept()
    assert moved[0] == "site_visit"
    assert [c[2] for c in moved[1]][:-1] == [c[1] for c in moved[1]][1:]  # each ends at the next
    assert moved[1][-1][2] is None  # still qualified
    db.session.execute(update(StageChange).values(ended_at=None))
    db.session.execute(update(Lead).values(furthest_stage="new"))
    restate_history([lead.id])
    assert kept() == moved


def test_funnel_reached_stages_and_median_days(ctx):
    start = beijing(YEAR, 2, 1, 9, 0)

    def day(n):
        return start + timedelta(days=n)

    _lead_with_history("A", [("new", day(0)), ("contacted", day(2)), ("qualified", day(6))])
    _lead_with_history("B", [("new", day(0)), ("contacted", day(4))])
    _lead_with_history("C", [("new", day(0)), ("contacted", day(10)), ("lost", day(12))])
    # Straight to "signed" (a signed contract found at import): every earlier stage was reached.
    _lead_with_history("D", [("signed", day(0))])
    _lead_with_history("E", [("new", day(0))])
    _lead_with_history("Old", [("new", beijing(YEAR - 1, 5, 1, 9)), ("contacted", day(1))])
    db.session.flush()
    assert lead_flow.lead_flow(YEAR).reached == [5, 4, 2, 1, 1, 1]
    stays = lead_flow.lead_flow(YEAR).stays
    # New: 2, 4 and 10 days (E is still new; D never was): median 4.
    assert stays["new"][0] == 3 and stays["new"][1] == pytest.approx(4, abs=1e-3)
    # Contacted: 4 days (A) and 2 days (C, until lost): the mean of the two middle ones.
    assert stays["contacted"][0] == 2 and stays["contacted"][1] == pytest.approx(3, abs=1e-3)
    assert "qualified" not in stays


def test_funnel_counts_the_furthest_stage_of_leads_that_went_back(ctx):
    start = beijing(YEAR, 3, 1, 9, 0)

    def day(n):
        return start + timedelta(days=n)

    forward = [("new", day(0)), ("contacted", day(1)), ("qualified", day(2))]
    # Back from negotiation to qualified, where it still is: it reached negotiation.
    _lead_with_history("Back", [*forward, ("negotiation", day(3)), ("qualified", day(9))])
    # Lost after qualification, then reopened as contacted: it reached qualified.
    _lead_with_history("Reopened", [*forward, ("lost", day(4)), ("contacted", day(8))])
    # Signed, back to negotiation, signed again: it reached signed (once).
    _lead_with_history(
        "Again",
        [*forward, ("site_visit", day(3)), ("negotiation", day(4)), ("signed", day(5)),
         ("negotiation", day(6)), ("signed", day(7))],
    )  # fmt: skip
    _lead_with_history("Plain", forward)
    db.session.flush()
    assert lead_flow.lead_flow(YEAR).reached == [4, 4, 4, 2, 2, 1]
    stays = lead_flow.lead_flow(YEAR).stays
    # Negotiation: 6 days (Back), 1 day and 1 day (Again): median 1.
    assert stays["negotiation"] == (3, pytest.approx(1))


def test_breakdowns_by_source_event_country_and_referrer(ctx):
    event = Event(
        slug="fair", name={"en": "Fair"}, starts_on=date(YEAR, 4, 1), ends_on=date(YEAR, 4, 3)
    )
    firm = Enterprise(
        slug="w", name="文德尔", industry="auto", year_entered=2020, referral_code="r1"
    )
    db.session.add_all([event, firm])
    db.session.flush()
    at = [("new", beijing(YEAR, 4, 2, 10))]
    _lead_with_history("F1", at, source="event", event_id=event.id, country="FR")
    _lead_with_history("F2", at, source="event", event_id=event.id, country="FR")
    _lead_with_history("R1", at, source="referral", referrer=firm.id, country="IT")
    project = make_project(source="referral", country="IT", investment=70_000_000)
    project.lead.referrer_enterprise_id = firm.id
    db.session.flush()
    found = lead_flow.breakdowns(YEAR)
    assert found["source"]["event"].leads == 2
    assert found["event_id"][event.id].leads == 2 and found["event_id"][None].leads == 2
    assert found["country"]["FR"].leads == 2 and found["country"]["IT"].leads == 2
    referred = found["referrer_enterprise_id"][firm.id]
    assert (referred.leads, referred.signed, referred.investment) == (2, 1, Decimal(70_000_000))
