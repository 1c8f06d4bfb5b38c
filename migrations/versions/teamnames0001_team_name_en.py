"""team.name_en: a team's name for English-language staff (the name itself is the bureau's)

Revision ID: teamnames0001
Revises: density0001
Create Date: 2026-12-07 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'teamnames0001'
down_revision = "bulk0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('name_en')
