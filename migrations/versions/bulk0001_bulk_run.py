"""bulk_run: bulk actions on large selections, run by the job worker

Revision ID: bulk0001
Revises: density0001
Create Date: 2026-12-07 14:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

from core.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'bulk0001'
down_revision = "places0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'bulk_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('refused', sa.JSON(), nullable=False),
        sa.Column('skipped', sa.JSON(), nullable=False),
        sa.Column('list_query', sa.Text(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('finished_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_bulk_run_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_run')),
    )
    with op.batch_alter_table('bulk_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulk_run_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('bulk_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulk_run_user_id'))
    op.drop_table('bulk_run')
