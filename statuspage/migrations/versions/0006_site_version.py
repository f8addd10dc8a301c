"""the site's change counter, for caches on every worker and host

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 04:05:00

"""
from alembic import op
import sqlalchemy as sa

import statuspage.database


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('site_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('changed_at', statuspage.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_version'))
    )


def downgrade():
    op.drop_table('site_version')
