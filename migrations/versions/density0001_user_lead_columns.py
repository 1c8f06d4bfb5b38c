"""user.lead_columns: the lead list's columns each member of staff chose to see

Revision ID: density0001
Revises: mailin0001
Create Date: 2026-12-07 11:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'density0001'
down_revision = 'mailin0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_columns', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('lead_columns')
