"""ticket feedback: the incident a link, unlink or not_mine change names, and the matcher's close alternatives

`ticket_changes.incident_id` records which incident an agent linked a ticket to or unlinked it from, or the
customer said their ticket was not about (the matcher's positive and negative examples); it is indexed
because the matcher reads the examples per incident. `tickets.match_alternatives` keeps the other
candidates that scored close to the best, as [[incident id, score], ...].

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_ticket_changes_incident_id'), ['incident_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_ticket_changes_incident_id_incidents'), 'incidents',
                                    ['incident_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_alternatives', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('match_alternatives')

    with op.batch_alter_table('ticket_changes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ticket_changes_incident_id_incidents'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ticket_changes_incident_id'))
        batch_op.drop_column('incident_id')
