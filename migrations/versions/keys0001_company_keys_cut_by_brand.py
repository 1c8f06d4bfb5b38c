"""company keys recomputed: Chinese names cut place / brand / trade, as the matcher cuts them
(成都蓝光电子 is "chengdu languang electronics", no longer "chengdu lan optoelectronics zi")

Revision ID: keys0001
Revises: search0001
Create Date: 2026-12-07 11:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'keys0001'
down_revision = 'search0001'
branch_labels = None
depends_on = None

# Rows read and normalised at a time.
KEY_BATCH = 5000
# Each stored key and the name(s) it is computed from (the first name present).
KEYS = (
    ("lead", "company_key", ("company_name_latin", "company_name")),
    ("referral", "company_key", ("company_name",)),
    ("enterprise", "name_key", ("name",)),
    ("enterprise", "latin_key", ("name_latin",)),
)


def upgrade():
    for table, column, sources in KEYS:
        _recompute(table, column, sources)
    _refresh_firm_pairs()


def _refresh_firm_pairs():
    # Pairs marked different keep the keys of their day: where a side names its lead, it takes
    # the lead's new key (a small table: row by row). Two pairs that become one keep the first.
    bind = op.get_bind()
    pairs = bind.execute(
        sa.text(
            "SELECT p.id, p.key_a, p.key_b, a.company_key AS new_a, b.company_key AS new_b"
            " FROM firm_pair p LEFT JOIN lead a ON a.id = p.lead_a_id"
            " LEFT JOIN lead b ON b.id = p.lead_b_id ORDER BY p.id"
        )
    ).all()
    seen = {(row.key_a, row.key_b) for row in pairs if row.new_a is None and row.new_b is None}
    for row in pairs:
        if row.new_a is None and row.new_b is None:
            continue
        first, second = sorted((row.new_a or row.key_a, row.new_b or row.key_b))
        if first == second or (first, second) in seen:
            bind.execute(sa.text("DELETE FROM firm_pair WHERE id = :id"), {"id": row.id})
            continue
        seen.add((first, second))
        bind.execute(
            sa.text("UPDATE firm_pair SET key_a = :a, key_b = :b WHERE id = :id"),
            {"a": first, "b": second, "id": row.id},
        )


def _recompute(table_name, column, sources):
    # The normal form of Chinese names changed: stored keys must follow, or old leads would not
    # match new ones. Python computes them (pinyin), in batches; the changed ones go through a
    # temporary table into the table in one UPDATE ... FROM, as in 3b40dec30198.
    from core.matching import normalise_company

    bind = op.get_bind()
    table = sa.table(
        table_name,
        sa.column("id", sa.Integer),
        sa.column(column, sa.String),
        *(sa.column(name, sa.String) for name in sources),
    )
    keys = sa.Table(
        "key_recomputed",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        prefixes=["TEMPORARY"],
    )
    keys.create(bind)
    rows = bind.execute(
        sa.select(table.c.id, table.c[column], *(table.c[name] for name in sources))
        .where(table.c[column] != "")  # anonymised rows keep their empty key
        .execution_options(yield_per=KEY_BATCH)
    )
    for batch in rows.partitions():
        changed = []
        for row in batch:
            name = next((row._mapping[n] for n in sources if row._mapping[n]), "") or ""
            key = normalise_company(name)[:200]
            if key != row._mapping[column]:
                changed.append({"id": row.id, "key": key})
        if changed:
            bind.execute(keys.insert(), changed)
    if bind.dialect.name == "postgresql":  # temporary tables get no statistics of their own
        bind.execute(sa.text("ANALYZE key_recomputed"))
    bind.execute(
        sa.text(
            f"UPDATE {table_name} SET {column} = key_recomputed.key"
            f" FROM key_recomputed WHERE key_recomputed.id = {table_name}.id"
        )
    )
    keys.drop(bind)


def downgrade():
    """Nothing to undo: company keys keep their new form (the older code reads them as well)."""
