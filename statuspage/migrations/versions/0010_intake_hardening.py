"""intake hardening: ticket warnings, remembered signatures, limits on following by ticket

tickets.warnings: what intake changed or left undone for a ticket (a created_at clamped to its arrival
window, a requester not subscribed), shown in its answer. intake_signatures: signed intake requests
already taken in, kept while their signature is valid, so a replay gets the first answer.
subscribers.incidents_only: a ticket's follower hears of its incidents alone, also once it follows none
(set for every subscriber that follows incidents and no component: exactly what they were sent before).
unsubscribed_addresses: hashes of addresses that unsubscribed, never subscribed again by a ticket.
intake_follows: follows made by tickets in the last hour, counted per requester domain and per token.
notifications.claimed_by: the delivery worker whose lease-long claim a row is under.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-07 00:30:00

"""
from alembic import op
import sqlalchemy as sa

import statuspage.database


revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warnings', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    op.create_table(
        'intake_signatures',
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('expires_at', statuspage.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_intake_signatures_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('digest', name=op.f('pk_intake_signatures')))
    op.create_index(op.f('ix_intake_signatures_ticket_id'), 'intake_signatures', ['ticket_id'], unique=False)
    op.create_index(op.f('ix_intake_signatures_expires_at'), 'intake_signatures', ['expires_at'], unique=False)

    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incidents_only', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE subscribers SET incidents_only = true "
               "WHERE id IN (SELECT subscriber_id FROM subscriber_incidents) "
               "AND id NOT IN (SELECT subscriber_id FROM subscriber_components)")
    op.create_table(
        'unsubscribed_addresses',
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('unsubscribed_at', statuspage.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('digest', name=op.f('pk_unsubscribed_addresses')))
    op.create_table(
        'intake_follows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('domain', sa.String(length=255), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('created_at', statuspage.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_follows')))
    op.create_index('ix_intake_follows_domain_created_at', 'intake_follows', ['domain', 'created_at'], unique=False)
    op.create_index('ix_intake_follows_source_created_at', 'intake_follows', ['source', 'created_at'], unique=False)
    op.create_index(op.f('ix_intake_follows_created_at'), 'intake_follows', ['created_at'], unique=False)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
    op.drop_index(op.f('ix_intake_follows_created_at'), table_name='intake_follows')
    op.drop_index('ix_intake_follows_source_created_at', table_name='intake_follows')
    op.drop_index('ix_intake_follows_domain_created_at', table_name='intake_follows')
    op.drop_table('intake_follows')
    op.drop_table('unsubscribed_addresses')
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.drop_column('incidents_only')
    op.drop_index(op.f('ix_intake_signatures_expires_at'), table_name='intake_signatures')
    op.drop_index(op.f('ix_intake_signatures_ticket_id'), table_name='intake_signatures')
    op.drop_table('intake_signatures')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('warnings')
