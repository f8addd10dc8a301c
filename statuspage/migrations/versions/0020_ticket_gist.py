"""tickets: the matcher's gist of each ticket (512 float32), so a ticket linked to an incident serves as its
example without its text being encoded again

Tickets taken in before this revision have none; the matcher encodes their text when it needs them.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gist', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('gist')
