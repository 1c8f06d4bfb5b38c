"""Bulk import at scale: 50,000 rows de-duplicated against 100,000 existing leads (by email,
phone and company names across scripts), beside a raw SQLAlchemy Core insert of the same rows in
the same run."""

import csv
import io
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from bench.database import _describe, fresh_database, settle
from bench.report import Line, Row
from bench.settings import Options

LEADS = int(os.environ.get("BENCH_IMPORT_LEADS", "100000"))
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "50000"))
TARGET_SECONDS = 60.0
TARGET_RATIO = 5.0
TITLE = f"Import of {ROWS:,} rows against {LEADS:,} leads, with de-duplication"
BATCH = 5000
# Shares of the file that are already leads (by email, by phone, by the company's name in the
# other script) or repeat an earlier row of the same file.
SHARE_EMAIL, SHARE_PHONE, SHARE_COMPANY, SHARE_REPEAT = 0.06, 0.04, 0.04, 0.02

PLACES = {"成都": "Chengdu", "苏州": "Suzhou", "宁波": "Ningbo", "青岛": "Qingdao",
          "无锡": "Wuxi", "佛山": "Foshan", "杭州": "Hangzhou", "深圳": "Shenzhen",
          "上海": "Shanghai", "天津": "Tianjin", "武汉": "Wuhan", "西安": "Xi'an"}  # fmt: skip
TRADES = {"精密机械": "Precision Machinery", "电子科技": "Electronics Technology",
          "汽车零部件": "Automotive Parts", "新材料": "New Materials", "食品": "Food",
          "生物医药": "Biotech Pharmaceutical", "智能装备": "Intelligent Equipment",
          "化工": "Chemical", "物流": "Logistics", "包装": "Packaging"}  # fmt: skip
BRAND_CHARS = "华辰远航金达恒信博越瑞丰宏图新锐东升天府明泰嘉禾永盛兴隆鼎力凯旋佳美宇通"
LATIN_TRADES = ("Maschinenbau", "Präzisionstechnik", "Logistik", "Automotive", "Chemie",
                "Emballage", "Électronique", "Medizintechnik", "Food", "Robotics")  # fmt: skip
LEGAL = ("GmbH", "AG", "SARL", "SA", "Ltd", "S.p.A.", "B.V.")
SYLLABLES = ("ka", "ren", "berg", "mül", "ler", "wag", "ner", "schm", "idt", "du", "bois",
             "lau", "rent", "ros", "si", "no", "vak", "fi", "scher", "hof", "mann", "bec",
             "ker", "mo", "reau", "ber", "nard", "lin", "dt", "stein")  # fmt: skip


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _brand(rng: random.Random) -> str:
    return "".join(rng.sample(BRAND_CHARS, 2))


def _surname(rng: random.Random) -> str:
    return "".join(rng.choices(SYLLABLES, k=rng.choice((2, 3)))).capitalize()


def _company(rng: random.Random, new: bool = False) -> tuple[str, str | None]:
    """(company_name, company_name_latin): a Chinese firm with its English name, or a European.

    Firms new to the file get three-character brands and double names, so that they are
    not, by chance, firms the leads already hold.
    """
    if rng.random() < 0.5:
        place, trade = rng.choice(list(PLACES)), rng.choice(list(TRADES))
        brand = _brand(rng) + (rng.choice(BRAND_CHARS) if new else "")
        from pypinyin import lazy_pinyin

        latin = f"{PLACES[place]} {''.join(lazy_pinyin(brand)).title()} {TRADES[trade]} Co., Ltd."
        return f"{place}{brand}{trade}有限公司", latin
    surname = f"{_surname(rng)} {_surname(rng)}" if new else _surname(rng)
    return f"{surname} {rng.choice(LATIN_TRADES)} {rng.choice(LEGAL)}", None


def run(options: Options) -> list[Row | Line]:
    if options.database_url:
        return [Row("import", alarm="not measured: this bench makes its own database")]
    with fresh_database(options, "imports") as url:
        label = _describe(url).label
        app = _app(url)
        started = time.perf_counter()
        existing = _generate(app)
        load_seconds = time.perf_counter() - started
        data, expected = _file(existing)
        _say(f"{LEADS:,} leads in {load_seconds:.1f} s; importing {ROWS:,} rows …")
        import_seconds, job = _import(app, data)
        _say(f"import {import_seconds:.1f} s; raw Core insert …")
        core_seconds = _core_insert(app, data)
        _say("the same rows as an Excel file: read …")
        xlsx = _xlsx(data)
        read_seconds, plain_seconds = _read_xlsx(app, xlsx)
        with app.app_context():
            from core.extensions import db

            db.session.remove()
            db.engine.dispose()
    ratio = import_seconds / core_seconds if core_seconds else None
    counts = (
        f"{job['created']:,} created, {job['merged']:,} merged, "
        f"{job['skipped']:,} skipped, {job['rejected']:,} rejected"
    )
    found = job["merged"]
    alarm = "" if job["status"] == "done" else f"import {job['status']}: {job['error']}"
    met = import_seconds < TARGET_SECONDS and ratio is not None and ratio <= TARGET_RATIO
    return [
        Row(
            "import: read, check, match, write (one transaction)",
            per_second=ROWS / import_seconds,
            ratio=ratio,
            note=f"{import_seconds:.1f} s",
            alarm=alarm,
        ),
        Row(
            "core: csv.reader + insert leads and contacts",
            per_second=ROWS / core_seconds,
            note=f"{core_seconds:.1f} s",
        ),  # fmt: skip
        Row(
            "xlsx: read_table (dimension ignored, caps and time budget checked per row)",
            per_second=ROWS / read_seconds,
            ratio=read_seconds / plain_seconds,
            note=f"{read_seconds:.1f} s, {len(xlsx) / 1e6:.1f} MB",
        ),
        Row(
            "openpyxl: read-only iteration of the same sheet, values only",
            per_second=ROWS / plain_seconds,
            note=f"{plain_seconds:.1f} s",
        ),
        Line(
            f"target: under {TARGET_SECONDS:.0f} s and within {TARGET_RATIO:.0f}x of Core",
            f"{import_seconds:.1f} s, {ratio:.1f}x: {'met' if met else 'NOT met'}",
        ),
        Line("outcome", f"{counts}; {found:,} merges found of {expected:,} planted duplicates"),
        Line(
            "xlsx",
            "the import file's rows saved with openpyxl (write-only); read_table against "
            "openpyxl's read-only iteration of the same sheet in the same run (its × column: "
            "the reader's time over openpyxl's alone)",
        ),
        Line("database", f"{label}, fresh, tables from the models (create_all)"),
        Line(
            "data",
            f"{LEADS:,} leads with one contact each (half Chinese firms with their English "
            f"name, half European), generated with Core in {load_seconds:.1f} s; the file "
            f"(UTF-8 CSV, {len(data) / 1e6:.1f} MB) repeats existing leads by email "
            f"({SHARE_EMAIL:.0%}), phone ({SHARE_PHONE:.0%}) and company name in Chinese where "
            f"the lead has the English one ({SHARE_COMPANY:.0%}), and earlier rows "
            f"({SHARE_REPEAT:.0%})",
        ),
        Line(
            "method",
            "import: new_job (read, store, suggest mapping) + run_job (index existing leads, "
            "check and match every row, bulk insert leads, contacts, stage history, audit, "
            "merges, commit), timed from the file's bytes to the commit; Core: the same bytes "
            "through csv.reader, ids taken as the import takes them, then insert(Lead) and "
            "insert(Contact) as plain executemany, committed, no "
            "checks or matching",
        ),
    ]


def _app(url: str):
    from core import create_app
    from core.config import database_url

    upload = tempfile.mkdtemp(prefix="bench-imports-uploads-")
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(url),
            "SECRET_KEY": "bench-imports-" + "x" * 32,
            "UPLOAD_DIR": upload,
        }
    )


def _generate(app) -> list[dict]:
    """Existing leads through Core (keys as the app computes them); returns what the file reuses."""
    from sqlalchemy import insert

    from core.extensions import db
    from core.matching import normalise_company
    from core.models import Contact, Lead, User

    rng = random.Random(4)
    now = datetime.now(UTC)
    existing = []
    with app.app_context():
        db.create_all()
        with db.engine.begin() as conn:
            # A manager imports: rows merge only into leads the importer may change, and the
            # leads here have no owner (an officer's import would flag them all for their owners).
            conn.execute(
                insert(User.__table__),
                [{"id": 1, "email": "manager@bench.example", "name": "Manager", "role": "manager",
                  "password_hash": "!", "active": True, "session_version": 1, "language": "en",
                  "timezone": "Asia/Shanghai", "created_at": now}],  # noqa: S106
            )  # fmt: skip
            for start in range(1, LEADS + 1, BATCH):
                leads, contacts = [], []
                for lead_id in range(start, min(start + BATCH, LEADS + 1)):
                    name, latin = _company(rng)
                    email = f"c{lead_id}@lead{lead_id % 997}.example"
                    phone = f"+49{rng.randrange(10**9, 10**10)}"
                    created = now - timedelta(days=rng.randrange(1, 900))
                    leads.append(
                        {"id": lead_id, "created_at": created, "updated_at": created,
                         "version_id": 1, "stage": "new", "source": "website",
                         "company_name": latin if latin and rng.random() < 0.5 else name,
                         "company_name_latin": latin, "code_name": f"Lead-{lead_id:06d}",
                         "country": "CN" if latin else "DE", "industry": "", "language": "en",
                         "investment_currency": "CNY", "lost_note": "", "stage_changed_at": created,
                         "search_text": f"{name} {email}".lower(),
                         "company_key": normalise_company(latin or name)[:200],
                         "legal_hold": False, "tags": []}
                    )  # fmt: skip
                    contacts.append(
                        {"lead_id": lead_id, "created_at": created, "name": _surname(rng),
                         "email": email, "phone": phone, "language": "en"}
                    )  # fmt: skip
                    existing.append({"name": name, "latin": latin, "email": email, "phone": phone})
                conn.execute(insert(Lead.__table__), leads)
                conn.execute(insert(Contact.__table__), contacts)
        settle(db.engine, LEADS)
    return existing


def _file(existing: list[dict]) -> tuple[bytes, int]:
    """The CSV to import and how many of its rows repeat a lead or an earlier row."""
    rng = random.Random(5)
    header = ["Company", "Contact name", "Email", "Phone", "Country", "Industry", "Notes"]
    rows, planted = [], 0
    chinese = [e for e in existing if e["latin"]]
    for n in range(ROWS):
        roll = rng.random()
        if roll < SHARE_EMAIL:
            lead = rng.choice(existing)
            row = [lead["latin"] or lead["name"], "Repeat", lead["email"], "", "DE", "", ""]
        elif roll < SHARE_EMAIL + SHARE_PHONE:
            lead = rng.choice(existing)
            row = [lead["name"], "Repeat", "", lead["phone"], "DE", "", ""]
        elif roll < SHARE_EMAIL + SHARE_PHONE + SHARE_COMPANY:
            lead = rng.choice(chinese)
            row = [lead["name"], "同一家", "", "", "CN", "", "展会"]
        elif roll < SHARE_EMAIL + SHARE_PHONE + SHARE_COMPANY + SHARE_REPEAT and rows:
            row = list(rng.choice(rows))
            row[1] = "Second visitor"
        else:
            name, _latin = _company(rng, new=True)
            note = "Met at the fair" if n % 7 == 0 else ""
            phone = f"+33{rng.randrange(10**8, 10**9)}"
            country = "CN" if _latin else "FR"
            row = [name, _surname(rng), f"new{n}@import{n % 991}.example", phone, country, "", note]
            rows.append(row)
            continue
        planted += 1
        rows.append(row)
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode(), planted


def _import(app, data: bytes) -> tuple[float, dict]:
    from core.extensions import db
    from core.imports import new_job, run_job
    from core.models import User

    with app.test_request_context():
        user = db.session.get(User, 1)
        started = time.perf_counter()
        job = new_job(data, "bench.csv", user=user, source="bench")
        db.session.commit()
        job = run_job(job)
        seconds = time.perf_counter() - started
        summary = {k: getattr(job, k) for k in ("created", "merged", "skipped", "rejected")}
        summary.update(status=job.status, error=job.error)
        db.session.remove()
    return seconds, summary


def _xlsx(data: bytes) -> bytes:
    """The import file's rows as an Excel workbook."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in csv.reader(io.StringIO(data.decode())):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _read_xlsx(app, xlsx: bytes) -> tuple[float, float]:
    """Seconds to read the workbook into a table, and for openpyxl alone to iterate it."""
    from openpyxl import load_workbook

    from core.imports.reading import read_table

    with app.test_request_context():
        started = time.perf_counter()
        read_table(xlsx, "bench.xlsx")
        ours = time.perf_counter() - started
    started = time.perf_counter()
    book = load_workbook(io.BytesIO(xlsx), read_only=True, data_only=True)
    for _row in book.worksheets[0].iter_rows(values_only=True):
        pass
    book.close()
    return ours, time.perf_counter() - started


def _core_insert(app, data: bytes) -> float:
    from sqlalchemy import func, insert, select, text

    from core.extensions import db
    from core.models import Contact, Lead

    with app.app_context():
        started = time.perf_counter()
        now = datetime.now(UTC)
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        next(reader)
        leads, people = [], []
        for company, person, email, phone, country, industry, _notes in reader:
            leads.append(
                {"created_at": now, "updated_at": now, "version_id": 1, "stage": "new",
                 "source": "import", "company_name": company, "country": country,
                 "industry": industry, "language": "en", "investment_currency": "CNY",
                 "lost_note": "", "stage_changed_at": now, "search_text": "",
                 "company_key": "", "legal_hold": False, "tags": []}
            )  # fmt: skip
            people.append((person, email or None, phone or None))
        with db.engine.begin() as conn:
            # Ids taken first (as the import does), so both tables go in as plain executemany.
            if conn.dialect.name == "postgresql":
                ids = list(
                    conn.scalars(
                        text(
                            "SELECT nextval(pg_get_serial_sequence('lead', 'id'))"
                            " FROM generate_series(1, :n)"
                        ),
                        {"n": len(leads)},
                    )
                )
            else:
                first = (conn.scalar(select(func.max(Lead.__table__.c.id))) or 0) + 1
                ids = list(range(first, first + len(leads)))
            for lead, lead_id in zip(leads, ids, strict=True):
                lead["id"] = lead_id
            conn.execute(insert(Lead.__table__), leads)
            conn.execute(
                insert(Contact.__table__),
                [
                    {
                        "lead_id": i,
                        "created_at": now,
                        "name": p,
                        "email": e,
                        "phone": ph,
                        "language": "en",
                    }
                    for i, (p, e, ph) in zip(ids, people, strict=True)
                ],  # fmt: skip
            )
        # Left in place: the database is dropped after the run, and deleting 50k leads under
        # SQLite's foreign-key checks would take longer than the whole bench.
        return time.perf_counter() - started
