"""lead.confidential: set by a manager, only managers, the owner and the liaison leader see the
company's name

Revision ID: conf0001
Revises: staff0001
Create Date: 2026-12-07 11:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'conf0001'
down_revision = 'staff0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_column('confidential')
