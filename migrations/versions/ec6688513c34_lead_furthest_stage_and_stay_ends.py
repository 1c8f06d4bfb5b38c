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


# A stay ends when the lead's next change (in time, then id order) comes; the last stays open.
STAY_ENDS = """
    UPDATE stage_change SET ended_at = later.next_at
    FROM (
        SELECT id, LEAD(at) OVER (PARTITION BY lead_id ORDER BY at, id) AS next_at
        FROM stage_change
    ) AS later
    WHERE later.id = stage_change.id AND later.next_at IS NOT NULL
"""
_RANK = " ".join(f"WHEN '{stage}' THEN {rank}" for rank, stage in enumerate(FORWARD))
_NAME = " ".join(f"WHEN {rank} THEN '{stage}'" for rank, stage in enumerate(FORWARD))
# The furthest forward stage a lead is in or ever moved to; leads that never left New keep the
# column's default. Only leads whose value changes are written (fewer dead rows on PostgreSQL).
FURTHEST_STAGES = f"""
    UPDATE lead SET furthest_stage = CASE best.furthest {_NAME} END
    FROM (
        SELECT reached.lead_id, MAX(CASE reached.stage {_RANK} END) AS furthest
        FROM (
            SELECT id AS lead_id, stage FROM lead
            UNION ALL
            SELECT lead_id, to_stage FROM stage_change
        ) AS reached
        GROUP BY reached.lead_id
    ) AS best
    WHERE best.lead_id = lead.id AND best.furthest > 0
"""


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
        batch_op.add_column(
            sa.Column("version_id", sa.Integer(), server_default="1", nullable=False)
        )
    postgresql = _postgresql()
    if postgresql:  # rebuilt below with covering columns: not maintained row by row meanwhile
        op.drop_index("ix_lead_created_at", table_name="lead")
        op.drop_index("ix_stage_change_at", table_name="stage_change")
    # Set-based, one statement each: the row-by-row form (a correlated MIN per stay, then one
    # EXISTS pass per stage) held the locks of the ALTERs above for 312-332 s at 151k leads.
    # UPDATE ... FROM needs SQLite 3.33+ (PostgreSQL: any).
    op.execute(STAY_ENDS)
    op.execute(FURTHEST_STAGES)
    if postgresql:  # SQLite has no covering indexes: its plain ones stay
        op.create_index(
            "ix_lead_created_at",
            "lead",
            ["created_at"],
            postgresql_include=[
                "id", "merged_into_id", "furthest_stage", "source", "event_id", "country",
                "referrer_enterprise_id",
            ],  # fmt: skip
        )
        op.create_index(
            "ix_stage_change_at",
            "stage_change",
            ["at"],
            postgresql_include=["lead_id", "to_stage", "ended_at"],
        )


def downgrade():
    """Drops lead.furthest_stage, stage_change.ended_at and meeting.version_id: no information is
    lost (the first two are worked out again from the stage history by upgrade; the last is an
    edit counter)."""
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
