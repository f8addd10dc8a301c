"""console: notify subscribers or not, per update; maintenance reminders and start/end notifications

Each update keeps whether its author told subscribers (deliver_notifications, true for every update so
far: all of them were told). A maintenance window keeps its reminder (minutes before the start, none for
the windows so far), when that reminder went out, and whether the scheduler's updates at its start and at
its end notify (true: what they did so far).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import statuspage.database


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incident_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deliver_notifications', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remind_minutes_before', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', statuspage.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('notify_at_start', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('notify_at_end', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('notify_at_end')
        batch_op.drop_column('notify_at_start')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('remind_minutes_before')
    with op.batch_alter_table('incident_updates', schema=None) as batch_op:
        batch_op.drop_column('deliver_notifications')
