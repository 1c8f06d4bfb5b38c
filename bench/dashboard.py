"""The targets dashboard at 2,000 projects and 100,000 leads: server time p50/p99 in-process (Flask
test client) for the page and its workbook, beside the core/targets.py queries run bare, one by one
and all together, in the same run."""

import os
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bench.database import _describe, fresh_database, settle
from bench.inprocess import bench_app, say, signed_in_client, timed
from bench.leads import _lead
from bench.report import Line, Row
from bench.settings import Options
from core.models import FORWARD_STAGES

LEADS = int(os.environ.get("BENCH_LEADS", "100000"))
PROJECTS = int(os.environ.get("BENCH_PROJECTS", "2000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
WARMUP = 10
TARGET_P99_MS = 300.0
TITLE = f"Targets dashboard at {PROJECTS:,} projects and {LEADS:,} leads, in-process server time"
BATCH = 5000
EVENTS, ENTERPRISES = 12, 40
# Approval steps per project, a few of them submitted and overdue.
STEP_KINDS = ("business-registration", "tax-registration", "planning-permit", "construction-permit")


def run(options: Options) -> list[Row | Line]:
    if options.database_url:
        return [
            Row("dashboard", alarm="not measured: this bench makes its own database, and "
                "BENCH_DATABASE_URL is never filled with generated projects and leads"),
        ]  # fmt: skip
    with fresh_database(options, "dashboard") as url:
        label = _describe(url).label
        app = bench_app(url, "dashboard")
        started = time.perf_counter()
        facts = _generate(app)
        load_seconds = time.perf_counter() - started
        rows = _measure(app)
        with app.app_context():
            from core.extensions import db

            db.session.remove()
            db.engine.dispose()
    page = next((r for r in rows if r.target == "app: dashboard page"), None)
    verdict = (
        "not judged"
        if page is None or page.p99_ms is None
        else f"page p99 {page.p99_ms:.1f} ms: {'met' if page.p99_ms < TARGET_P99_MS else 'NOT met'}"
    )
    return [
        *rows,
        Line(f"target: the dashboard page under {TARGET_P99_MS:.0f} ms p99 server time", verdict),
        Line("database", f"{label}, fresh, tables from the models (create_all)"),
        Line(
            "data",
            f"{LEADS:,} leads created over the last 24 months (about half in this year) with "
            f"{facts['changes']:,} stage changes; {PROJECTS:,} projects signed over the last 24 "
            f"months ({facts['this_year']:,} this year), each with its signing, {facts['built']:,} "
            f"under construction and {facts['producing']:,} in production (1 in 10 without "
            f"proof), {facts['steps']:,} approval steps ({facts['overdue']:,} overdue), "
            f"{facts['audits']:,} audit entries ({facts['increases']:,} investment changes); "
            f"generated with Core bulk inserts in {load_seconds:.1f} s, then ANALYZE (VACUUM "
            "ANALYZE on PostgreSQL)",
        ),
        Line(
            "method",
            f"{WARMUP} warm-up then {REQUESTS} sequential GETs per target through the Flask test "
            "client as a signed-in manager (whole request: gate, queries, charts, template or "
            "workbook); the core rows call the core/targets.py functions the page uses, directly "
            "in an app context, without rendering; req/s and the ratio column do not apply",
        ),
    ]


def _insert(conn, table, rows: list[dict]) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), BATCH):
        conn.execute(insert(table), rows[start : start + BATCH])


def _history(rng, lead: dict, now: datetime) -> list[dict]:
    """The lead's stage changes: through the forward stages to its stage, days to weeks apart."""
    stage, at = lead["stage"], lead["created_at"]
    last = FORWARD_STAGES.index(stage) if stage in FORWARD_STAGES else rng.randrange(0, 4)
    rows, previous = [], None
    for step in FORWARD_STAGES[: last + 1]:
        rows.append({"lead_id": lead["id"], "from_stage": previous, "to_stage": step, "at": at,
                     "note": ""})  # fmt: skip
        previous, at = step, min(now, at + timedelta(hours=rng.randrange(12, 40 * 24)))
    if stage == "lost":
        rows.append({"lead_id": lead["id"], "from_stage": previous, "to_stage": "lost", "at": at,
                     "note": ""})  # fmt: skip
    for row, following in zip(rows, [*rows[1:], None], strict=True):
        row["ended_at"] = following["at"] if following else None  # as core/leads.py keeps it
    lead["stage_changed_at"] = rows[-1]["at"]
    lead["furthest_stage"] = FORWARD_STAGES[last]
    return rows


def _generate(app) -> dict:
    from core.extensions import db
    from core.models import Enterprise, Event, Lead, StageChange, Team, User

    rng = random.Random(6)
    now = datetime.now(UTC)
    today = now.date()
    facts = dict.fromkeys(("changes", "this_year", "built", "producing", "steps", "overdue",
                           "audits", "increases"), 0)  # fmt: skip
    with app.app_context():
        db.create_all()
        with db.engine.begin() as conn:
            _insert(conn, Team.__table__, [{"id": i, "name": f"Desk {i}"} for i in (1, 2, 3)])
            users = [
                {"id": 1, "email": "manager@bench.example", "name": "Manager", "role": "manager",
                 "totp_secret": "JBSWY3DPEHPK3PXP", "team_id": None},
                {"id": 2, "email": "leader@bench.example", "name": "Leader", "role": "leader",
                 "totp_secret": None, "team_id": None},
            ] + [
                {"id": n, "email": f"o{n}@bench.example", "name": f"Officer {n}",
                 "role": "officer", "team_id": 1 + n % 3, "totp_secret": None}
                for n in range(3, 23)
            ]  # fmt: skip
            for user in users:
                user.update(password_hash="!", active=True, session_version=1, language="en",  # noqa: S106
                            timezone="Asia/Shanghai", created_at=now)  # fmt: skip
            _insert(conn, User.__table__, users)
            _insert(conn, Event.__table__, [_event(i, today) for i in range(1, EVENTS + 1)])
            _insert(conn, Enterprise.__table__, [_firm(i) for i in range(1, ENTERPRISES + 1)])
            leads, changes = [], []
            for lead_id in range(1, LEADS + 1):
                lead, _ = _lead(rng, lead_id, now)
                lead["created_at"] = now - timedelta(minutes=rng.randrange(730 * 24 * 60))
                lead["updated_at"] = lead["response_due_at"] = lead["created_at"]
                lead["first_response_at"] = lead["last_contact_at"] = None
                # Every row carries the same keys (one executemany): None where not attributed.
                event = lead["source"] == "event"
                lead["event_id"] = rng.randrange(1, EVENTS + 1) if event else None
                referred = lead["source"] == "referral"
                lead["referrer_enterprise_id"] = (
                    rng.randrange(1, ENTERPRISES + 1) if referred else None
                )
                changes += _history(rng, lead, now)
                leads.append(lead)
                if len(leads) == BATCH:
                    _insert(conn, Lead.__table__, leads)
                    _insert(conn, StageChange.__table__, changes)
                    facts["changes"] += len(changes)
                    leads, changes = [], []
            _insert(conn, Lead.__table__, leads)
            _insert(conn, StageChange.__table__, changes)
            facts["changes"] += len(changes)
            _projects(conn, rng, now, facts)
        _sequences(db.engine)
        settle(db.engine, LEADS)
    return facts


def _event(i: int, today: date) -> dict:
    starts = today - timedelta(days=40 * i)
    return {"id": i, "slug": f"fair-{i}", "name": {"en": f"Fair {i}", "zh": f"展会{i}"},
            "starts_on": starts, "ends_on": starts + timedelta(days=2)}  # fmt: skip


def _firm(i: int) -> dict:
    return {"id": i, "slug": f"firm-{i}", "name": f"园区企业{i}", "name_latin": f"Park Firm {i}",
            "industry": "automotive", "year_entered": 2015 + i % 10,
            "referral_code": f"bench-{i:04d}"}  # fmt: skip


def _investment(rng) -> Decimal:
    """Most projects are small; one in five is major (CNY 500 million), one in twenty above 1 bn."""
    draw = rng.random()
    if draw < 0.8:
        return Decimal(rng.randrange(20, 450) * 1_000_000)
    if draw < 0.95:
        return Decimal(rng.randrange(500, 1000) * 1_000_000)
    return Decimal(rng.randrange(1000, 3000) * 1_000_000)


def _milestone(rng, project_id: int, stage: str, day: date, now: datetime) -> dict:
    proven = rng.random() < 0.9  # one in ten still waits for its proof
    return {"project_id": project_id, "stage": stage, "reached_on": day,
            "evidence_kind": "reference" if proven else None,
            "reference": f"{stage}-{project_id}" if proven else "", "recorded_at": now}  # fmt: skip


def _steps(rng, project: dict, today: date, now: datetime, facts: dict) -> list[dict]:
    steps = []
    for kind in STEP_KINDS:
        submitted = project["signed_on"] + timedelta(days=rng.randrange(1, 60))
        status = rng.choice(("not_started", "submitted", "approved", "approved"))
        if submitted > today:
            status = "not_started"
        due = submitted + timedelta(days=rng.randrange(5, 30))
        if status == "submitted" and due < today - timedelta(days=60):
            status = "approved"  # long since handled: only recent steps are still overdue
        started = status != "not_started"
        steps.append({
            "project_id": project["id"], "kind": kind, "department": "housing-construction",
            "status": status, "limit_days": 10, "submitted_on": submitted if started else None,
            "due_on": due if started else None,
            "approved_on": min(today, due) if status == "approved" else None,
            "notes": "", "escalation_level": 0, "created_at": now, "updated_at": now,
            "version_id": 1, "agent_id": project["agent_id"],
        })  # fmt: skip
        facts["overdue"] += status == "submitted" and due < today
    return steps


def _audits(rng, project: dict, now: datetime, facts: dict) -> list[dict]:
    from core.workdays import CHINA

    pid, amount = project["id"], project["investment"]
    entries = [{"at": now, "actor": "system", "action": "create", "entity_type": "Project",
                "entity_id": pid, "changes": {"stage": [None, "signed"]}}]  # fmt: skip
    if rng.random() < 0.1:  # a capital increase recorded some weeks after the signing
        day = project["signed_on"] + timedelta(days=rng.randrange(20, 200))
        at = datetime.combine(day, datetime.min.time(), CHINA).astimezone(UTC)
        if at < now:
            change = {"investment": [f"{amount}", f"{amount * 2}"]}
            entries.append(
                {"at": at, "actor": "user:1", "action": "update", "entity_type": "Project",
                 "entity_id": pid, "changes": change}
            )  # fmt: skip
            project["investment"] = amount * 2
            facts["increases"] += 1
    return entries


def _projects(conn, rng, now: datetime, facts: dict) -> None:
    from sqlalchemy import select

    from core.models import ApprovalStep, AuditEntry, Lead, Project, ProjectMilestone
    from core.models.project import new_status_token
    from core.workdays import CHINA

    today = now.astimezone(CHINA).date()
    signed_leads = conn.execute(
        select(Lead.id, Lead.investment_min).where(Lead.stage == "signed").order_by(Lead.id)
    ).all()
    chosen = rng.sample(signed_leads, min(PROJECTS, len(signed_leads)))
    projects, milestones, steps, audits = [], [], [], []
    for project_id, (lead_id, _) in enumerate(chosen, start=1):
        amount = _investment(rng)
        signed_on = today - timedelta(days=rng.randrange(730))
        facts["this_year"] += signed_on.year == today.year
        project = {
            "id": project_id, "lead_id": lead_id, "created_at": now, "updated_at": now,
            "version_id": 1, "stage": "signed", "zone": rng.choice(("north", "south")),
            "investment": amount, "capital_arrived": Decimal(0), "jobs_planned": 50,
            "signed_on": signed_on, "construction_deadline": signed_on + timedelta(days=180),
            "production_deadline": signed_on + timedelta(days=540), "policy_version": "2026",
            "liaison_id": 2 if amount >= 500_000_000 else None, "agent_id": rng.randrange(3, 23),
            "incentive_review": False, "status_token": new_status_token(),
        }  # fmt: skip
        projects.append(project)
        milestones.append(_milestone(rng, project_id, "signed", signed_on, now))
        built = signed_on + timedelta(days=rng.randrange(30, 240))
        if built <= today and rng.random() < 0.85:
            milestones.append(_milestone(rng, project_id, "construction", built, now))
            project["stage"] = "construction"
            facts["built"] += 1
            made = built + timedelta(days=rng.randrange(90, 400))
            if made <= today and rng.random() < 0.5:
                milestones.append(_milestone(rng, project_id, "production", made, now))
                project["stage"] = "production"
                facts["producing"] += 1
        steps += _steps(rng, project, today, now, facts)
        audits += _audits(rng, project, now, facts)
    _insert(conn, Project.__table__, projects)
    _insert(conn, ProjectMilestone.__table__, milestones)
    _insert(conn, ApprovalStep.__table__, steps)
    _insert(conn, AuditEntry.__table__, audits)
    facts["steps"], facts["audits"] = len(steps), len(audits)


def _sequences(engine) -> None:
    """On PostgreSQL, the id sequences of the tables filled with explicit ids past their rows."""
    from sqlalchemy import text

    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("team", "user", "event", "enterprise", "project"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                    f'(SELECT max(id) FROM "{table}"))'
                )  # fmt: skip
            )


def _core_calls(year: int) -> list[tuple[str, str, Callable[[], object]]]:
    """(label, module, call) for each query function the page uses, and for all of them in turn."""
    from core import lead_flow, targets

    calls = [
        ("signed_by_month", "targets", lambda: targets.signed_by_month(year)),
        ("reached_by_month", "targets", lambda: targets.reached_by_month(year)),
        ("investment_changes", "targets", lambda: targets.investment_changes(year)),
        ("zone_deadlines", "targets", lambda: targets.zone_deadlines(year)),
        ("at_risk", "targets", lambda: targets.at_risk()),
        ("major_projects", "targets", lambda: targets.major_projects(year)),
        ("lead_flow (funnel and time in stage)", "lead_flow", lambda: lead_flow.lead_flow(year)),
        ("breakdowns", "lead_flow", lambda: lead_flow.breakdowns(year, [])),
    ]

    def everything():
        for _, _, call in calls:
            call()

    return [("all of the above, in turn", "targets", everything), *calls]


def _measure(app) -> list[Row]:
    from core import projects
    from core.extensions import db

    client = signed_in_client(app)  # the generated manager
    year = projects.park_today().year
    rows = []
    for label, path in (
        ("app: dashboard page", f"/crm/dashboard?year={year}"),
        ("app: dashboard workbook (XLSX)", f"/crm/dashboard.xlsx?year={year}"),
    ):
        first = client.get(path)
        if first.status_code != 200:
            rows.append(Row(label, alarm=f"answers {first.status_code}: not measured"))
            continue
        say(f"measuring {label} …")

        def get(path=path):
            response = client.get(path)
            assert response.status_code == 200
            return response

        p50, p99 = timed(get, WARMUP, REQUESTS)
        rows.append(Row(label, p50_ms=p50, p99_ms=p99, note=f"{path} ({len(first.data):,} bytes)"))
    with app.app_context():
        for label, module, call in _core_calls(year):
            say(f"measuring core: {label} …")
            p50, p99 = timed(lambda call=call: (call(), db.session.rollback()), WARMUP, REQUESTS)
            rows.append(Row(f"core: {label}", p50_ms=p50, p99_ms=p99, note=f"core/{module}.py"))
    return rows
