"""tickets: whether a ticket reports a problem (the matcher's reading), for suspected incidents

A suspected incident opens when several tickets about one component arrive at once; only tickets that
report something broken count, not how-to questions, invoices or feature wishes about that component.
Tickets taken in before this revision count as they did (true).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 01:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reports_problem', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('reports_problem')
