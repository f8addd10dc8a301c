"""alerts in: what Prometheus Alertmanager and Grafana sent, one row per alert firing

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 08:00:00

"""
from alembic import op
import sqlalchemy as sa

import statuspage.database


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

COMPONENT_STATUSES = ('operational', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage')


def upgrade():
    op.create_table(
        'received_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.Enum('alertmanager', 'grafana', name='alertsource', native_enum=False, length=16),
                  nullable=False),
        sa.Column('fingerprint', sa.String(length=128), nullable=False),
        sa.Column('starts_at', statuspage.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ends_at', statuspage.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('component_slug', sa.String(length=64), nullable=False),
        sa.Column('component_id', sa.Integer(), nullable=True),
        sa.Column('failure_status', sa.Enum(*COMPONENT_STATUSES, name='componentstatus', native_enum=False,
                                            length=32), nullable=False),
        sa.Column('is_firing', sa.Boolean(), nullable=False),
        sa.Column('labels', sa.JSON(), nullable=False),
        sa.Column('annotations', sa.JSON(), nullable=False),
        sa.Column('generator_url', sa.String(length=2000), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=True),
        sa.Column('received_at', statuspage.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', statuspage.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', statuspage.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['component_id'], ['components.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source', 'fingerprint', 'starts_at', name='uq_received_alerts_firing'),
    )
    with op.batch_alter_table('received_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_received_alerts_component_firing', ['component_id', 'is_firing'], unique=False)
        batch_op.create_index(batch_op.f('ix_received_alerts_incident_id'), ['incident_id'], unique=False)


def downgrade():
    with op.batch_alter_table('received_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_received_alerts_incident_id'))
        batch_op.drop_index('ix_received_alerts_component_firing')
    op.drop_table('received_alerts')
