"""firm_distinction: pairs of firms a person said are different, never proposed as one again

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


def downgrade():
    """Drops firm_distinction: the pairs people marked as different firms are forgotten, and
    the matcher may propose them again."""
    op.drop_table('firm_distinction')
