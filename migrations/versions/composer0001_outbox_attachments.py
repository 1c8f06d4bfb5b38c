"""outbox attachments: the lead's files an officer's mail carries

Revision ID: composer0001
Revises: density0001
Create Date: 2026-12-07 14:05:00.000000

outbox_attachment links an OutboxEmail to the LeadFile rows it carries (both sides cascade: a mail
or a file removed takes its links along). A new table only: nothing is locked but the two parents'
keys; the downgrade drops the links (the files stay with their leads).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'composer0001'
down_revision = "calendar0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_attachment',
    sa.Column('outbox_email_id', sa.Integer(), nullable=False),
    sa.Column('lead_file_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lead_file_id'], ['lead_file.id'], name=op.f('fk_outbox_attachment_lead_file_id_lead_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_email_id'], ['outbox_email.id'], name=op.f('fk_outbox_attachment_outbox_email_id_outbox_email'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('outbox_email_id', 'lead_file_id', name=op.f('pk_outbox_attachment'))
    )
    with op.batch_alter_table('outbox_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_attachment_lead_file_id'), ['lead_file_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_attachment_lead_file_id'))

    op.drop_table('outbox_attachment')
