"""received_alerts: what each alert did (opened, joined, resolved, held by a person, recorded) and why, for the
console's list of received alerts

Alerts received before this revision show an empty result ("recorded").

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 10:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('received_alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('note', sa.String(length=300), nullable=False, server_default=''))
        batch_op.create_index('ix_received_alerts_received_at', ['received_at'], unique=False)


def downgrade():
    with op.batch_alter_table('received_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_received_alerts_received_at')
        batch_op.drop_column('note')
        batch_op.drop_column('result')
