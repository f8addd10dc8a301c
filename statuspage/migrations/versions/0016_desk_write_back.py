"""help desks written back: desk rows in the outbox, one known-problem ticket per desk and incident

A desk write is an outbox row (kind "desk") naming its ticket, the desk, the action and its progress
(desk_state); desk_problems keeps the desk's problem/tracker ticket made for an incident.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 08:00:00

"""
from alembic import op
import sqlalchemy as sa

import statuspage.database


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticket_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('desk', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('desk_action', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('desk_state', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notifications_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notifications_ticket_id_tickets'), 'tickets', ['ticket_id'],
                                    ['id'], ondelete='CASCADE')
    op.create_table(
        'desk_problems',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('desk', sa.String(length=16), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('external_id', sa.String(length=64), nullable=True),
        sa.Column('number', sa.String(length=64), nullable=True),
        sa.Column('created_at', statuspage.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_desk_problems_incident_id_incidents'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_problems')),
        sa.UniqueConstraint('desk', 'incident_id', name=op.f('uq_desk_problems_desk')),
    )
    with op.batch_alter_table('desk_problems', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_problems_incident_id'), ['incident_id'], unique=False)


def downgrade():
    op.drop_table('desk_problems')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_ticket_id_tickets'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notifications_ticket_id'))
        batch_op.drop_column('desk_state')
        batch_op.drop_column('desk_action')
        batch_op.drop_column('desk')
        batch_op.drop_column('ticket_id')
