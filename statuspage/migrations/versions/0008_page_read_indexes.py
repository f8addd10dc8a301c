"""indexes for the public pages' reads: the component days of the rollups, incidents by when they ended

The uptime bars of `/` read, for every component, its daily rollups of the last 90 days: a partial
index over just the component days (a small part of rollups), by component and day and covering runs
and failures, answers that without touching the table; other rollups are written without it. (scope
and period are not key columns: PostgreSQL drops conditions the index's predicate implies, and a key
column without one would stop it seeking on the day.) The incidents on those bars are the open ones
and those resolved in the window, found by (kind, resolved_at) instead of a scan of the whole history.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 04:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COMPONENT_DAYS = "scope = 'component' AND period = 'day'"


def upgrade():
    op.create_index('ix_rollups_component_days', 'rollups', ['scope_id', 'starts_at', 'runs', 'failures'],
                    unique=False, sqlite_where=sa.text(COMPONENT_DAYS), postgresql_where=sa.text(COMPONENT_DAYS))
    op.create_index('ix_incidents_kind_resolved_at', 'incidents', ['kind', 'resolved_at'], unique=False)


def downgrade():
    op.drop_index('ix_incidents_kind_resolved_at', table_name='incidents')
    op.drop_index('ix_rollups_component_days', table_name='rollups')
