"""intake hardening: ticket warnings

tickets.warnings: what intake changed or left undone for a ticket (a created_at clamped to its arrival
window), shown in its answer.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-07 00:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warnings', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('warnings')
