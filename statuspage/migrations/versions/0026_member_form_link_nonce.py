"""page_members.form_link_nonce: a link asked for on a private page's sign-in form has a nonce of its own

Before, every link replaced the member's one nonce (sign_in_nonce), so anyone who knew a member's address
could cancel their 7-day invitation by asking the page's form for a link. Invitations keep sign_in_nonce;
links from the form use this column, and neither replaces the other.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN, not a batch (see 0025: a batch on SQLite drops the member components with the table).
    op.add_column('page_members', sa.Column('form_link_nonce', sa.String(length=64), nullable=True))


def downgrade():
    op.drop_column('page_members', 'form_link_nonce')
