"""The lead list at 100,000 generated leads: server time p50/p99 in-process (Flask test client) for
a filtered first page, a deep keyset page, and search, each beside the same statements run with
raw SQLAlchemy Core in the same run."""

import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict

from bench.database import _describe, fresh_database, settle
from bench.inprocess import bench_app, say, signed_in_client, timed
from bench.report import Line, Row
from bench.settings import Options

LEADS = int(os.environ.get("BENCH_LEADS", "100000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
WARMUP = 20
TARGET_P99_MS = 150.0
# Page 1000 at 100k leads: half-way through the list (smaller runs go half-way too).
DEEP_PAGE = max(1, min(1000, LEADS // 100))
TITLE = f"Lead list at {LEADS:,} leads, in-process server time"
BATCH = 5000

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂三四"
LATIN = ("Müller", "Schmidt", "Dubois", "Martin", "Weber", "Bernard", "Fischer", "Moreau",
         "Wagner", "Laurent", "Becker", "Hoffmann", "Smith", "Jones", "Rossi", "Novak")  # fmt: skip
FIRST = ("Anna", "Lukas", "Marie", "Jean", "Sophie", "Paul", "Emma", "Felix", "Claire", "Jonas")
SUFFIX = ("GmbH", "AG", "SARL", "SA", "Ltd", "有限公司", "股份有限公司")
STAGES = ("new", "contacted", "qualified", "site_visit", "negotiation", "signed", "lost")
STAGE_WEIGHTS = (30, 20, 15, 10, 8, 5, 12)
COUNTRIES = ("DE", "FR", "CN", "IT", "AT", "CH", "NL", "GB", "ES", "US", "JP", "KR")
LANGS = {"DE": "de", "AT": "de", "CH": "de", "FR": "fr", "CN": "zh"}
INDUSTRIES = ("precision-machinery", "chemicals", "automotive", "electronics", "logistics",
              "medical-devices", "new-energy", "food")  # fmt: skip

# What is measured: (label, the list's query string). The deep page's cursor is added at run time.
TARGETS = (
    ("list: stage new/contacted, sorted by company", "stage=new&stage=contacted&sort=company"),
    (f"list: deep page {DEEP_PAGE} (keyset), newest first", "DEEP"),
    ("search: Latin term “schmidt”", "q=schmidt"),
    ("search: two-character Chinese name “张三”", "q=%E5%BC%A0%E4%B8%89"),
)


def run(options: Options) -> list[Row | Line]:
    if options.database_url:
        return [
            Row("lead list", alarm="not measured: this bench makes its own database, and "
                "BENCH_DATABASE_URL is never filled with 100k generated leads"),
        ]  # fmt: skip
    with fresh_database(options, "leads") as url:
        label = _describe(url).label
        app = bench_app(url, "leads")
        started = time.perf_counter()
        _generate(app)
        load_seconds = time.perf_counter() - started
        rows = _measure(app)
        with app.app_context():
            from core.extensions import db

            db.session.remove()
            db.engine.dispose()
    measured = [row for row in rows if row.p99_ms is not None and row.target.startswith("app")]
    worst = max((row.p99_ms for row in measured), default=None)
    verdict = (
        "not judged"
        if worst is None or len(measured) != len(TARGETS)
        else f"worst app p99 {worst:.1f} ms: {'met' if worst < TARGET_P99_MS else 'NOT met'}"
    )
    return [
        *rows,
        Line(f"target: every page under {TARGET_P99_MS:.0f} ms p99 server time", verdict),
        Line("database", f"{label}, fresh, tables from the models (create_all)"),
        Line(
            "data",
            f"{LEADS:,} leads with one contact each (about 1 in 500 named 张三), generated with "
            f"Core bulk inserts in {load_seconds:.1f} s, then ANALYZE (VACUUM ANALYZE on "
            "PostgreSQL, as autovacuum would leave it)",
        ),
        Line(
            "method",
            f"{WARMUP} warm-up then {REQUESTS} sequential GETs per target through the Flask test "
            "client as a signed-in manager (whole request: gate, queries, template); the Core "
            "row runs the statements the view runs for the page and its totals (for a search "
            "one windowed statement), on one connection, without loading contacts or "
            "rendering; req/s and the ratio column do not apply",
        ),
    ]


def _generate(app) -> None:
    from sqlalchemy import insert

    from core.extensions import db
    from core.models import Contact, Lead, Team, User

    rng = random.Random(3)
    now = datetime.now(UTC)
    with app.app_context():
        db.create_all()
        with db.engine.begin() as conn:
            conn.execute(
                insert(Team.__table__), [{"id": i, "name": f"Desk {i}"} for i in (1, 2, 3)]
            )
            users = [
                # A second factor enrolled: managers without one may open only enrolment.
                {
                    "id": 1,
                    "email": "manager@bench.example",
                    "name": "Manager",
                    "role": "manager",
                    "totp_secret": "JBSWY3DPEHPK3PXP",
                },  # fmt: skip
                {"id": 2, "email": "leader@bench.example", "name": "Leader", "role": "leader"},
            ] + [
                {
                    "id": n,
                    "email": f"o{n}@bench.example",
                    "name": f"Officer {n}",
                    "role": "officer",
                    "team_id": 1 + n % 3,
                }  # fmt: skip
                for n in range(3, 23)
            ]
            for user in users:
                user.setdefault("team_id", None)
                user.setdefault("totp_secret", None)
                user.update(
                    password_hash="!",  # noqa: S106 - no password signs in here
                    active=True,
                    session_version=1,
                    language="en",
                    timezone="Asia/Shanghai",
                    created_at=now,
                )
            conn.execute(insert(User.__table__), users)
            for start in range(1, LEADS + 1, BATCH):
                leads, contacts = [], []
                for lead_id in range(start, min(start + BATCH, LEADS + 1)):
                    lead, contact = _lead(rng, lead_id, now)
                    leads.append(lead)
                    contacts.append(contact)
                conn.execute(insert(Lead.__table__), leads)
                conn.execute(insert(Contact.__table__), contacts)
        settle(db.engine, LEADS)


def _lead(rng: random.Random, lead_id: int, now: datetime) -> tuple[dict, dict]:
    country = rng.choice(COUNTRIES)
    language = LANGS.get(country, "en")
    if country == "CN" or rng.random() < 0.1:
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 1, 2))))
        if rng.random() < 0.002:
            name = "张三"
        company = f"{rng.choice(('苏州', '上海', '宁波', '无锡'))}{name}{rng.choice(SUFFIX[5:])}"
        latin = None
        email = f"c{lead_id}@example.cn"
    else:
        surname = rng.choice(LATIN)
        name = f"{rng.choice(FIRST)} {surname}"
        company = f"{rng.choice(LATIN)} {rng.choice(INDUSTRIES).title()} {rng.choice(SUFFIX[:5])}"
        latin = company
        email = f"{name.split()[0].lower()}.{lead_id}@example.com"
    phone = f"+{rng.choice(('49', '33', '86', '39'))}{rng.randrange(10**9, 10**10)}"
    created = now - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
    contacted = created + timedelta(days=rng.randrange(1, 60)) if rng.random() < 0.6 else None
    amount = Decimal(rng.randrange(5, 3000) * 1_000_000)
    code = f"Lead-{lead_id:06d}"
    lead = {
        "id": lead_id, "created_at": created, "updated_at": created, "version_id": 1,
        "stage": rng.choices(STAGES, STAGE_WEIGHTS)[0], "source": rng.choice(("website", "event",
        "referral", "import", "manual")), "company_name": company, "company_name_latin": latin,
        "code_name": code, "country": country, "industry": rng.choice(INDUSTRIES),
        "investment_min": amount, "investment_max": amount * 2, "investment_currency": "CNY",
        "language": language, "planned_investment": amount if rng.random() < 0.3 else None,
        "owner_id": rng.randrange(3, 23) if rng.random() < 0.85 else None,
        "team_id": rng.randrange(1, 4), "liaison_id": 2 if amount >= 500_000_000 else None,
        "lost_note": "", "stage_changed_at": created,
        "response_due_at": created + timedelta(days=2),
        "first_response_at": contacted, "last_contact_at": contacted,
        "search_text": " ".join(p.lower() for p in (company, latin, code, name, email, phone) if p),
        "company_key": company.lower()[:200], "legal_hold": False,
    }  # fmt: skip
    contact = {"lead_id": lead_id, "created_at": created, "name": name, "email": email,
               "phone": phone, "language": language}  # fmt: skip
    return lead, contact


def _deep_cursor(app) -> str:
    """The 'after' cursor that opens page DEEP_PAGE, as the list's own next links carry it."""
    from sqlalchemy import select, true

    from core.extensions import db
    from core.models import Lead
    from crm.leads import filters

    with app.test_request_context("/crm/leads"):
        query = filters.parse(MultiDict(), False, true())
        lead = db.session.scalars(
            select(Lead)
            .where(*query.where)
            .order_by(*query.order_by())
            .offset((DEEP_PAGE - 1) * filters.PAGE_SIZE - 1)
            .limit(1)
        ).one()
        return query.cursor(lead)


def _core_call(app, query_string: str) -> Callable[[], object]:
    from sqlalchemy import select, true

    from core.extensions import db
    from core.models import Lead
    from crm.leads import filters

    with app.test_request_context("/crm/leads?" + query_string):
        query = filters.parse(MultiDict(parse_qsl(query_string)), False, true())
        if query.searching:
            # The view's own search path: page and totals in one windowed statement.
            statements = [filters.searched_page(query)]
        else:
            page = select(Lead.__table__).where(*query.where)
            if (condition := query.page_condition()) is not None:
                page = page.where(condition)
            page = page.order_by(*query.order_by()).limit(filters.PAGE_SIZE + 1)
            statements = [page, filters.totals(query)]
        engine = db.engine

    def call():
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(statement).all()

    return call


def _measure(app) -> list[Row]:
    client = signed_in_client(app)  # the generated manager
    with app.app_context():
        deep = f"after={_deep_cursor(app)}"
    rows = []
    for label, query_string in TARGETS:
        query_string = deep if query_string == "DEEP" else query_string
        path = f"/crm/leads?{query_string}"
        first = client.get(path)
        if first.status_code != 200:
            rows.append(Row(f"app: {label}", alarm=f"answers {first.status_code}: not measured"))
            continue
        say(f"measuring {label} …")

        def get(path=path):
            response = client.get(path)
            assert response.status_code == 200
            return response

        app_p50, app_p99 = timed(get, WARMUP, REQUESTS)
        with app.app_context():
            core_p50, core_p99 = timed(_core_call(app, query_string), WARMUP, REQUESTS)
        note = path if len(path) < 60 else path[:57] + "…"
        rows.append(Row(f"app: {label}", p50_ms=app_p50, p99_ms=app_p99, note=note))
        rows.append(Row(f"core: {label}", p50_ms=core_p50, p99_ms=core_p99, note="raw Core"))
    return rows
