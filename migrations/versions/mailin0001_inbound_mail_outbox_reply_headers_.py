"""inbound mail, outbox reply headers, bounced contacts

Revision ID: mailin0001
Revises: keys0001
Create Date: 2026-12-07 11:49:14.173122

InboundMail (mail fetched from the bureau's IMAP mailbox) and MailboxState (how far each folder
is read); the outbox's Message-ID, sender name, Reply-To, In-Reply-To/References and whether a mail
is automatic; a contact's bounced address; lead_file.content_type long enough for Office types
(mail attachments).

"""
from alembic import op
import sqlalchemy as sa

import core.models.base


# revision identifiers, used by Alembic.
revision = 'mailin0001'
down_revision = 'keys0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mailbox_state',
    sa.Column('folder', sa.String(length=200), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('last_uid', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('folder', 'uidvalidity', name=op.f('pk_mailbox_state'))
    )
    op.create_table('inbound_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=500), nullable=False),
    sa.Column('imap_folder', sa.String(length=200), nullable=False),
    sa.Column('imap_uidvalidity', sa.BigInteger(), nullable=False),
    sa.Column('imap_uid', sa.BigInteger(), nullable=False),
    sa.Column('fetched_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', core.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('from_address', sa.String(length=254), nullable=False),
    sa.Column('from_name', sa.String(length=200), nullable=False),
    sa.Column('to_address', sa.String(length=1000), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('in_reply_to', sa.String(length=500), nullable=False),
    sa.Column('references', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('from_html', sa.Boolean(), nullable=False),
    sa.Column('left_out', sa.Text(), nullable=False),
    sa.Column('raw_size', sa.Integer(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=True),
    sa.Column('parse_error', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('matched_by', sa.String(length=10), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user.id'], name=op.f('fk_inbound_mail_handled_by_id_user')),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], name=op.f('fk_inbound_mail_lead_id_lead'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_mail')),
    sa.UniqueConstraint('message_id', name='uq_inbound_mail_message_id')
    )
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_mail_from_address'), ['from_address'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_mail_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index('ix_inbound_mail_status', ['status'], unique=False)

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_bounced_at', core.models.base.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('lead_file', schema=None) as batch_op:
        batch_op.alter_column('content_type',
               existing_type=sa.VARCHAR(length=40),
               type_=sa.String(length=100),
               existing_nullable=False)

    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('sender_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('reply_to', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('in_reply_to', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('references', sa.Text(), nullable=True))
        # Mail queued before this migration was all marked Auto-Submitted.
        batch_op.add_column(sa.Column('automatic', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_email_message_id'), ['message_id'])



def downgrade():
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_outbox_email_message_id'), type_='unique')
        batch_op.drop_column('automatic')
        batch_op.drop_column('references')
        batch_op.drop_column('in_reply_to')
        batch_op.drop_column('reply_to')
        batch_op.drop_column('sender_name')
        batch_op.drop_column('message_id')

    with op.batch_alter_table('lead_file', schema=None) as batch_op:
        batch_op.alter_column('content_type',
               existing_type=sa.String(length=100),
               type_=sa.VARCHAR(length=40),
               existing_nullable=False)

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('email_bounced_at')

    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_mail_status')
        batch_op.drop_index(batch_op.f('ix_inbound_mail_lead_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_mail_from_address'))

    op.drop_table('inbound_mail')
    op.drop_table('mailbox_state')
