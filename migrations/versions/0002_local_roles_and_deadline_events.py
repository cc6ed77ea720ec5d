"""local roles and deadline events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table('deadline_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('fired_transition', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_deadline_events_node_id_nodes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_events')),
    sa.UniqueConstraint('node_id', 'state', 'due_at', 'kind', name=op.f('uq_deadline_events_node_id'))
    )
    with op.batch_alter_table('deadline_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_events_node_id'), ['node_id'], unique=False)

    op.create_table('local_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=60), nullable=False),
    sa.CheckConstraint('(unit_id IS NULL) != (user_id IS NULL)', name=op.f('ck_local_roles_one_principal')),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_local_roles_node_id_nodes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_local_roles_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_local_roles_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_local_roles')),
    sa.UniqueConstraint('node_id', 'unit_id', 'user_id', 'role', name=op.f('uq_local_roles_node_id'))
    )
    with op.batch_alter_table('local_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_local_roles_node_id'), ['node_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_local_roles_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_local_roles_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('nodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nodes_due_at'), ['due_at'], unique=False)




def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table('nodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nodes_due_at'))

    with op.batch_alter_table('local_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_local_roles_user_id'))
        batch_op.drop_index(batch_op.f('ix_local_roles_unit_id'))
        batch_op.drop_index(batch_op.f('ix_local_roles_node_id'))

    op.drop_table('local_roles')
    with op.batch_alter_table('deadline_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_events_node_id'))

    op.drop_table('deadline_events')

