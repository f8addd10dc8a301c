"""intake hardening: ticket warnings, remembered signatures

tickets.warnings: what intake changed or left undone for a ticket (a created_at clamped to its arrival
window), shown in its answer. intake_signatures: signed intake requests already taken in, kept while
their signature is valid, so a replay gets the first answer.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-07 00:30:00

"""
from alembic import op
import sqlalchemy as sa

import statuspage.database


revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warnings', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    op.create_table(
        'intake_signatures',
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('expires_at', statuspage.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_intake_signatures_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('digest', name=op.f('pk_intake_signatures')))
    op.create_index(op.f('ix_intake_signatures_ticket_id'), 'intake_signatures', ['ticket_id'], unique=False)
    op.create_index(op.f('ix_intake_signatures_expires_at'), 'intake_signatures', ['expires_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_intake_signatures_expires_at'), table_name='intake_signatures')
    op.drop_index(op.f('ix_intake_signatures_ticket_id'), table_name='intake_signatures')
    op.drop_table('intake_signatures')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('warnings')
