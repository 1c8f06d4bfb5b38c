"""storage: uploaded files' bytes in the database, in chunks (FILE_STORAGE=database)

Revision ID: c4e2a91f7d36
Revises: a7c3e91d5b20
Create Date: 2026-12-07 08:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4e2a91f7d36"
down_revision = "a7c3e91d5b20"
branch_labels = None
depends_on = None


def upgrade():
    # A new table only: nothing locked. Files already on disk move with `flask move-files`.
    op.create_table(
        "stored_file",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("chunk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key", "chunk", name=op.f("pk_stored_file")),
    )


def downgrade():
    """Drops every file kept in the database (FILE_STORAGE=database): they are lost unless
    `flask move-files --to disk` ran first."""
    op.drop_table("stored_file")
