"""system text in every language: automatic incidents' words, engineers' language

What the system writes itself on an incident (an automatic or suspected incident's title, the updates
health checks and the ticket intake post) is kept in every language it was written in, {"en": ..., "de":
..., "fr": ...}, beside the text in the site's default language, so each reader gets their own; an engineer
who renames the incident replaces the title in every language. `users.language` is the language of an
engineer's alert mail (null: the site's default).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_translations', sa.JSON(), nullable=True))
    with op.batch_alter_table('incident_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_translations', sa.JSON(), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('incident_updates', schema=None) as batch_op:
        batch_op.drop_column('body_translations')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('name_translations')
