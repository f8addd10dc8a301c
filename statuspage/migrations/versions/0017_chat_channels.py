"""chat and push channels through Apprise: a subscriber's sealed URL, an alert's detail

A chat subscriber keeps its Apprise URL encrypted (sealed_url); its address column holds only what may be
shown. Alerts about deliveries that failed for good say what failed in detail.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 07:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed_url', sa.Text(), nullable=True))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detail', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('detail')
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.drop_column('sealed_url')
