"""firm_distinction: pairs of firms a person said are different, never proposed as one again;
company keys recomputed (Chinese names cut place / brand / trade: 蓝光电子 is languang electronics)

Revision ID: firms0001
Revises: jobs0001
Create Date: 2026-12-07 11:40:00

"""
from alembic import op
import sqlalchemy as sa

import core.models.base


# revision identifiers, used by Alembic.
revision = 'firms0001'
down_revision = 'jobs0001'
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
    op.create_table('firm_distinction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_a', sa.String(length=200), nullable=False),
    sa.Column('key_b', sa.String(length=200), nullable=False),
    sa.Column('lead_a_id', sa.Integer(), nullable=True),
    sa.Column('lead_b_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_a_id'], ['lead.id'], name=op.f('fk_firm_distinction_lead_a_id_lead'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_b_id'], ['lead.id'], name=op.f('fk_firm_distinction_lead_b_id_lead'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_firm_distinction_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firm_distinction')),
    sa.UniqueConstraint('key_a', 'key_b', name=op.f('uq_firm_distinction_key_a'))
    )
    for table, column, sources in KEYS:
        _recompute(table, column, sources)


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
    """Drops firm_distinction: the pairs people marked as different firms are forgotten, and
    the matcher may propose them again. Company keys keep their new form."""
    op.drop_table('firm_distinction')
