"""subscribers: one subscription per address and page (was: per address), the default page as page_id NULL

An address subscribed on one page could not subscribe on another: the second form said "check your mail"
and sent nothing. Subscribers stored with the default page's id get NULL (what every reader already took
the default page to be), so that one address has one subscription on the default page whichever way it came.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 13:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE subscribers SET page_id = NULL "
               "WHERE page_id IN (SELECT id FROM pages WHERE is_default)")
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.drop_constraint('uq_subscribers_channel', type_='unique')
    op.create_index('uq_subscribers_default_page', 'subscribers', ['channel', 'address'], unique=True,
                    sqlite_where=sa.text('page_id IS NULL'), postgresql_where=sa.text('page_id IS NULL'))
    op.create_index('uq_subscribers_page', 'subscribers', ['channel', 'address', 'page_id'], unique=True,
                    sqlite_where=sa.text('page_id IS NOT NULL'), postgresql_where=sa.text('page_id IS NOT NULL'))


def downgrade():
    # Back to one subscription per address: keep each address's oldest.
    op.execute("DELETE FROM subscribers WHERE id NOT IN "
               "(SELECT min(id) FROM subscribers GROUP BY channel, address)")
    op.drop_index('uq_subscribers_page', table_name='subscribers')
    op.drop_index('uq_subscribers_default_page', table_name='subscribers')
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_subscribers_channel', ['channel', 'address'])
