"""search: lead_alias (other names a firm is known by), the search text rewritten with pinyin,
folded Latin and phone digits, and on PostgreSQL a trigram index over it (pg_trgm)

Revision ID: search0001
Revises: jobs0001
Create Date: 2026-12-07 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import core.models.base


# revision identifiers, used by Alembic.
revision = 'search0001'
down_revision = 'conf0001'
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade():
    op.create_table('lead_alias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('created_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('import_job_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_job_id'], ['import_job.id'], name=op.f('fk_lead_alias_import_job_id_import_job'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], name=op.f('fk_lead_alias_lead_id_lead'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_alias')),
    sa.UniqueConstraint('lead_id', 'name', name='uq_lead_alias_name')
    )
    with op.batch_alter_table('lead_alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_alias_import_job_id'), ['import_job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_alias_lead_id'), ['lead_id'], unique=False)

    _rewrite_search_text()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # A trigram index on PostgreSQL; SQLite has none (it scans): there, a partial index over no
    # rows, as the model declares it.
    op.create_index(
        "ix_lead_search_text", "lead", ["search_text"], postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"}, sqlite_where=sa.text("0"),
    )


def _rewrite_search_text():
    # Pinyin and phone forms are worked out in Python (core/search.py), a batch of leads at a
    # time; the texts go to a temporary table and into lead in one UPDATE ... FROM.
    from core.search import search_text

    bind = op.get_bind()
    lead = sa.table(
        "lead", sa.column("id", sa.Integer), sa.column("company_name", sa.String),
        sa.column("company_name_latin", sa.String), sa.column("code_name", sa.String),
        sa.column("country", sa.String),
    )
    contact = sa.table(
        "contact", sa.column("lead_id", sa.Integer), sa.column("id", sa.Integer),
        sa.column("name", sa.String), sa.column("email", sa.String),
        sa.column("phone", sa.String),
    )
    texts = sa.Table(
        "search_text_rewritten", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("search_text", sa.Text, nullable=False),
        prefixes=["TEMPORARY"],
    )
    texts.create(bind)
    last = 0
    while True:
        leads = bind.execute(
            sa.select(lead).where(lead.c.id > last).order_by(lead.c.id).limit(BATCH)
        ).all()
        if not leads:
            break
        last = leads[-1].id
        people: dict[int, list] = {}
        for row in bind.execute(
            sa.select(contact)
            .where(contact.c.lead_id.between(leads[0].id, last))
            .order_by(contact.c.id)
        ):
            people.setdefault(row.lead_id, []).append((row.name, row.email, row.phone))
        bind.execute(texts.insert(), [
            {"id": row.id, "search_text": search_text(
                [row.company_name, row.company_name_latin], people.get(row.id, ()),
                row.code_name, row.country,
            )}
            for row in leads
        ])
    if bind.dialect.name == "postgresql":  # temporary tables get no statistics of their own
        bind.execute(sa.text("ANALYZE search_text_rewritten"))
    bind.execute(sa.text(
        "UPDATE lead SET search_text = search_text_rewritten.search_text"
        " FROM search_text_rewritten WHERE search_text_rewritten.id = lead.id"
    ))
    texts.drop(bind)


def downgrade():
    """Drops lead_alias: the names merges kept are lost. The search text keeps its new form."""
    op.drop_index("ix_lead_search_text", table_name="lead")
    with op.batch_alter_table('lead_alias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_alias_lead_id'))
        batch_op.drop_index(batch_op.f('ix_lead_alias_import_job_id'))

    op.drop_table('lead_alias')
