"""page_members.limited: whether a member is limited to the components in page_member_components

Before, an empty list meant "every component of the page", so deleting the last component a member was
limited to (page_member_components rows go with their component) widened them to all of the page. Now a
limited member with no component left sees none. Members with component rows are limited; the others not.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN, not a batch: on SQLite a batch copies the table and drops the old one, and with
    # foreign keys on, that drop deletes every page_member_components row (ON DELETE CASCADE).
    op.add_column('page_members', sa.Column('limited', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE page_members SET limited = TRUE WHERE id IN "
               "(SELECT member_id FROM page_member_components)")


def downgrade():
    op.drop_column('page_members', 'limited')  # not a batch either (see upgrade)
