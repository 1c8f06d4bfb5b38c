"""referral team: the desk a referral waits with (none: the shared inbox)

Revision ID: a7c3e91d5b20
Revises: ec6688513c34
Create Date: 2026-12-02 10:12:40.118204

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e91d5b20"
down_revision = "ec6688513c34"
branch_labels = None
depends_on = None


def upgrade():
    # Referrals already there stay unrouted: the undecided ones wait in the shared inbox, as all
    # of them did before; the decided ones are seen through their lead.
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_referral_team_id"), ["team_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_referral_team_id_team"), "team", ["team_id"], ["id"]
        )


def downgrade():
    """Drops referral.team_id: which desk each referral waits with is lost."""
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_referral_team_id_team"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_referral_team_id"))
        batch_op.drop_column("team_id")
