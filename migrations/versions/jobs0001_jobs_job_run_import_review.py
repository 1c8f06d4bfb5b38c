"""jobs: job_run (one row per run of a periodic job: the CRM's jobs page shows the last) and
import_review (the matches of a large import, computed once on the worker)

Revision ID: jobs0001
Revises: c4e2a91f7d36
Create Date: 2026-12-07 08:23:15.016140

"""
from alembic import op
import sqlalchemy as sa

import core.models.base


# revision identifiers, used by Alembic.
revision = 'jobs0001'
down_revision = 'c4e2a91f7d36'
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

    op.create_table('import_review',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('computed_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_job.id'], name=op.f('fk_import_review_job_id_import_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_import_review'))
    )


def downgrade():
    """Drops job_run (the record of periodic job runs) and import_review (stored matches of
    imports, computed again on demand): the run history is lost."""
    op.drop_table('import_review')
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index('ix_job_run_name_started_at')

    op.drop_table('job_run')
