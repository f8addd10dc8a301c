"""pages: several pages from one install; an existing install's data becomes the default page

A page has its own name, slug or host, languages, time zone, logo, accent colour and components
(page_components). The default page (slug `default`) shows every component and takes every subscriber
there is: an install upgraded this way serves exactly what it served before, at the same URLs.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 10:30:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import statuspage.database


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    pages = op.create_table('pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('host', sa.String(length=253), nullable=True),
    sa.Column('languages', sa.String(length=40), nullable=True),
    sa.Column('default_language', sa.String(length=8), nullable=True),
    sa.Column('time_zone', sa.String(length=64), nullable=True),
    sa.Column('logo_url', sa.String(length=500), nullable=True),
    sa.Column('accent_color', sa.String(length=7), nullable=True),
    sa.Column('visibility', sa.String(length=16), nullable=False, server_default='public'),
    sa.Column('shows_all_components', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('is_default', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('created_at', statuspage.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', statuspage.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pages')),
    sa.UniqueConstraint('host', name=op.f('uq_pages_host')),
    sa.UniqueConstraint('slug', name=op.f('uq_pages_slug'))
    )
    op.create_index('uq_pages_is_default', 'pages', ['is_default'], unique=True,
                    sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))
    op.create_table('page_components',
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['components.id'],
                            name=op.f('fk_page_components_component_id_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['page_id'], ['pages.id'], name=op.f('fk_page_components_page_id_pages'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('page_id', 'component_id', name=op.f('pk_page_components'))
    )
    op.create_index(op.f('ix_page_components_component_id'), 'page_components', ['component_id'], unique=False)
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_subscribers_page_id'), ['page_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_subscribers_page_id_pages'), 'pages', ['page_id'], ['id'],
                                    ondelete='CASCADE')

    # The install as it was becomes the default page: every setting "the install's", every component on it.
    now = datetime.now(timezone.utc)
    op.bulk_insert(pages, [{
        'id': 1, 'slug': 'default', 'name': '', 'visibility': 'public', 'shows_all_components': True,
        'is_default': True, 'created_at': now, 'updated_at': now, 'version': 1,
    }])
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':  # an explicit id leaves the sequence behind: the next page is 2
        op.execute("SELECT setval(pg_get_serial_sequence('pages', 'id'), 1)")
    op.execute("UPDATE subscribers SET page_id = 1")


def downgrade():
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_subscribers_page_id_pages'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_subscribers_page_id'))
        batch_op.drop_column('page_id')
    op.drop_index(op.f('ix_page_components_component_id'), table_name='page_components')
    op.drop_table('page_components')
    op.drop_index('uq_pages_is_default', table_name='pages')
    op.drop_table('pages')
