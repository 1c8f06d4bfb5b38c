"""Leads with stage histories written straight into a database at an old migration revision: the
data the data migrations rewrite, for their bench (bench/migrations.py) and their tests."""

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

# Stages as they were before the migrations under test ran.
FORWARD = ("new", "contacted", "qualified", "site_visit", "negotiation", "signed")
_PLACES = ("成都", "天府", "清远", "佛山", "苏州", "Stuttgart", "Lyon", "Ulm", "Nantes", "Graz")
_WORDS = ("精密机械", "新材料", "电子科技", "汽车零部件", "Antriebstechnik", "Mécanique", "Optik")
_FORMS = ("有限公司", "股份有限公司", " GmbH", " S.A.S.", " Co., Ltd.", "")
_START = datetime(2024, 1, 1, tzinfo=UTC)
_BATCH = 5000
# ec6688513c34 as first written, kept as the reference its set-based form is checked and timed
# against: a correlated MIN per stay, then one EXISTS pass per stage.
OLD_STAY_ENDS = (
    "UPDATE stage_change SET ended_at = (SELECT MIN(n.at) FROM stage_change n"
    " WHERE n.lead_id = stage_change.lead_id"
    " AND (n.at > stage_change.at OR (n.at = stage_change.at AND n.id > stage_change.id)))"
)
OLD_FURTHEST_STAGE = (
    "UPDATE lead SET furthest_stage = :stage WHERE stage = :stage OR EXISTS ("
    "SELECT 1 FROM stage_change c WHERE c.lead_id = lead.id AND c.to_stage = :stage)"
)


def old_stay_ends_and_furthest_stages(connection) -> None:
    """The reference: run on columns reset to their defaults (ended_at NULL, furthest 'new')."""
    connection.execute(sa.text(OLD_STAY_ENDS))
    for stage in FORWARD[1:]:
        connection.execute(sa.text(OLD_FURTHEST_STAGE), {"stage": stage})


def _fillers(table: sa.Table) -> dict:
    """A value for every required column the generator does not set itself."""
    values = {}
    for column in table.columns:
        if column.nullable or column.primary_key or column.server_default is not None:
            continue
        kind = _python_type(column.type)
        if kind is datetime:
            values[column.name] = _START
        elif kind is bool:
            values[column.name] = False
        elif kind is int:
            values[column.name] = 1
        elif kind in (list, dict):
            values[column.name] = kind()
        else:
            values[column.name] = "x"
    return values


def _python_type(type_) -> type:
    try:
        return type_.python_type
    except NotImplementedError:  # a dialect type that does not say: text does
        return str


def _history(rng: random.Random) -> list[str]:
    """A walk through the stages: mostly forward, sometimes back, sometimes lost."""
    moves, at = [], 0
    for _ in range(rng.choice((0, 1, 2, 3, 3, 4, 5, 6))):
        roll = rng.random()
        if roll < 0.08:
            moves.append("lost")
            break
        at = max(0, at - 1) if roll < 0.2 else min(len(FORWARD) - 1, at + 1)
        moves.append(FORWARD[at])
    return moves


def _company(rng: random.Random) -> tuple[str, str | None]:
    name = rng.choice(_PLACES) + rng.choice(_WORDS) + rng.choice(_FORMS)
    latin = (
        f"{rng.choice(_PLACES[5:])} {rng.choice(_WORDS[4:])} GmbH" if rng.random() < 0.2 else None
    )
    return name, latin


def fill(connection, leads: int, seed: int = 14) -> int:
    """Insert `leads` leads and their stage changes; returns the number of stage changes.

    Changes of one lead share a time now and then (the id breaks the tie) and are written out of
    time order, so neither ids nor insertion order give the history's order away.
    """
    rng = random.Random(seed)
    tables = sa.MetaData()
    lead = sa.Table("lead", tables, autoload_with=connection)
    change = sa.Table("stage_change", tables, autoload_with=connection)
    lead_base, change_base = _fillers(lead), _fillers(change)
    first = connection.scalar(sa.select(sa.func.coalesce(sa.func.max(lead.c.id), 0))) + 1
    lead_rows, change_rows, written = [], [], 0
    for lead_id in range(first, first + leads):
        created = _START + timedelta(minutes=rng.randrange(60 * 24 * 700))
        moves = _history(rng)
        name, latin = _company(rng)
        lead_rows.append(
            {
                **lead_base,
                "id": lead_id,
                "created_at": created,
                "updated_at": created,
                "stage_changed_at": created,
                "stage": moves[-1] if moves else "new",
                "company_name": name,
                "company_name_latin": latin,
                "company_key": name.lower()[:200],  # stale: the keys of before 3b40dec30198
            }
        )
        times = [created]
        for _ in moves:
            times.append(times[-1] + timedelta(hours=rng.choice((0, 0, 5, 30, 200))))
        stays = list(zip(moves, times[1:], strict=True))
        rng.shuffle(stays)
        for to_stage, at in stays:
            change_rows.append({**change_base, "lead_id": lead_id, "to_stage": to_stage, "at": at})
        if len(lead_rows) >= _BATCH:
            written += _flush(connection, lead, change, lead_rows, change_rows)
    return written + _flush(connection, lead, change, lead_rows, change_rows)


def _flush(connection, lead, change, lead_rows: list, change_rows: list) -> int:
    written = len(change_rows)
    if lead_rows:
        connection.execute(lead.insert(), lead_rows)
    if change_rows:
        connection.execute(change.insert(), change_rows)
    lead_rows.clear()
    change_rows.clear()
    return written
