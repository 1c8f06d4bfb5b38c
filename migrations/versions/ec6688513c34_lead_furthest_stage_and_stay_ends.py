"""lead furthest stage and stay ends (funnels become grouped counts); meeting versions

Revision ID: ec6688513c34
Revises: fbbed2d5cb32
Create Date: 2026-11-30 18:24:07.282364

"""

import sqlalchemy as sa
from alembic import op

import core.models.base

# revision identifiers, used by Alembic.
revision = "ec6688513c34"
down_revision = "fbbed2d5cb32"
branch_labels = None
depends_on = None

# The forward stages in order, as they were when this ran (Lost is not one).
FORWARD = ("new", "contacted", "qualified", "site_visit", "negotiation", "signed")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("furthest_stage", sa.String(length=20), server_default="new", nullable=False)
        )
    with op.batch_alter_table("stage_change", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ended_at", core.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version_id", sa.Integer(), server_default="1", nullable=False))
    # A stay ends when the lead's next change (in time, then id order) comes.
    op.execute(
        """
        UPDATE stage_change SET ended_at = (
            SELECT MIN(n.at) FROM stage_change n
            WHERE n.lead_id = stage_change.lead_id
              AND (n.at > stage_change.at OR (n.at = stage_change.at AND n.id > stage_change.id))
        )
        """
    )
    # The furthest stage: in stage order, so a later stage reached overwrites an earlier one.
    for stage in FORWARD[1:]:
        op.execute(
            sa.text(
                "UPDATE lead SET furthest_stage = :stage WHERE stage = :stage OR EXISTS ("
                "SELECT 1 FROM stage_change c WHERE c.lead_id = lead.id AND c.to_stage = :stage)"
            ).bindparams(stage=stage)
        )
    if _postgresql():  # SQLite has no covering indexes: its plain ones stay
        op.drop_index("ix_lead_created_at", table_name="lead")
        op.create_index(
            "ix_lead_created_at",
            "lead",
            ["created_at"],
            postgresql_include=[
                "id", "merged_into_id", "furthest_stage", "source", "event_id", "country",
                "referrer_enterprise_id",
            ],  # fmt: skip
        )
        op.drop_index("ix_stage_change_at", table_name="stage_change")
        op.create_index(
            "ix_stage_change_at",
            "stage_change",
            ["at"],
            postgresql_include=["lead_id", "to_stage", "ended_at"],
        )


def downgrade():
    if _postgresql():
        op.drop_index("ix_stage_change_at", table_name="stage_change")
        op.create_index("ix_stage_change_at", "stage_change", ["at"])
        op.drop_index("ix_lead_created_at", table_name="lead")
        op.create_index("ix_lead_created_at", "lead", ["created_at"])
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("version_id")
    with op.batch_alter_table("stage_change", schema=None) as batch_op:
        batch_op.drop_column("ended_at")
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_column("furthest_stage")
