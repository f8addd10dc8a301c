"""private pages: a password page's shared password, and a private page's audience members

pages.password_hash (services/accounts.py's hasher) and pages.access_version (in every password cookie;
bumped when the password changes). page_members: who may read a private page (sign-in by a one-time email
link or single sign-on), with a revocable feed token (its sha256 only); page_member_components: the
components a member is limited to (none: all of the page's); subscribers.member_id: the member who
subscribed on a private page (their subscriptions end with them).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 13:30:00

"""
from alembic import op
import sqlalchemy as sa

import statuspage.database


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('access_version', sa.Integer(), nullable=False, server_default='1'))
    op.create_table('page_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', statuspage.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', statuspage.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('token_created_at', statuspage.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_signed_in_at', statuspage.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sign_in_nonce', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['page_id'], ['pages.id'], name=op.f('fk_page_members_page_id_pages'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page_members')),
    sa.UniqueConstraint('page_id', 'email', name=op.f('uq_page_members_page_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_page_members_token_hash'))
    )
    op.create_index(op.f('ix_page_members_page_id'), 'page_members', ['page_id'], unique=False)
    op.create_table('page_member_components',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['components.id'],
                            name=op.f('fk_page_member_components_component_id_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['page_members.id'],
                            name=op.f('fk_page_member_components_member_id_page_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'component_id', name=op.f('pk_page_member_components'))
    )
    op.create_index(op.f('ix_page_member_components_component_id'), 'page_member_components', ['component_id'],
                    unique=False)
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_subscribers_member_id'), ['member_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_subscribers_member_id_page_members'), 'page_members',
                                    ['member_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_subscribers_member_id_page_members'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_subscribers_member_id'))
        batch_op.drop_column('member_id')
    op.drop_index(op.f('ix_page_member_components_component_id'), table_name='page_member_components')
    op.drop_table('page_member_components')
    op.drop_index(op.f('ix_page_members_page_id'), table_name='page_members')
    op.drop_table('page_members')
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_column('access_version')
        batch_op.drop_column('password_hash')
