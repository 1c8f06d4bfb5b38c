"""jobs: job_run, one row per run of a periodic job (the CRM's jobs page shows the last)

Revision ID: jobs0001
Revises: a7c3e91d5b20
Create Date: 2026-12-07 08:07:47.397969

"""
from alembic import op
import sqlalchemy as sa

import core.models.base


# revision identifiers, used by Alembic.
revision = 'jobs0001'
down_revision = 'a7c3e91d5b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', core.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('report', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run'))
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index('ix_job_run_name_started_at', ['name', 'started_at'], unique=False)



def downgrade():
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index('ix_job_run_name_started_at')

    op.drop_table('job_run')
