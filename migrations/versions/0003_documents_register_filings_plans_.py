"""documents: register, filings, plans, rectification orders, attachments, changes, notifications

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trashed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_attachments_node_id_nodes')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_node_id'), ['node_id'], unique=False)

    op.create_table('field_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_unit_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=40), nullable=True),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=False),
    sa.Column('new_value', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_field_changes_actor_id_users')),
    sa.ForeignKeyConstraint(['actor_unit_id'], ['units.id'], name=op.f('fk_field_changes_actor_unit_id_units')),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_field_changes_node_id_nodes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_changes'))
    )
    with op.batch_alter_table('field_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_field_changes_node_id'), ['node_id'], unique=False)

    op.create_table('filings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('project_type', sa.String(length=20), nullable=False),
    sa.Column('funding_kind', sa.String(length=20), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('funding_source', sa.String(length=20), nullable=False),
    sa.Column('build_mode', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('connected_to_exchange', sa.Boolean(), nullable=False),
    sa.Column('catalogued', sa.Boolean(), nullable=False),
    sa.Column('duplicates_existing', sa.Boolean(), nullable=False),
    sa.Column('copied_from_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['copied_from_id'], ['filings.id'], name=op.f('fk_filings_copied_from_id_filings')),
    sa.ForeignKeyConstraint(['id'], ['nodes.id'], name=op.f('fk_filings_id_nodes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filings'))
    )
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_filings_year'), ['year'], unique=False)

    op.create_table('information_systems',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('function', sa.Text(), nullable=False),
    sa.Column('usage_scope', sa.String(length=200), nullable=False),
    sa.Column('usage_frequency', sa.String(length=100), nullable=False),
    sa.Column('approving_department', sa.String(length=100), nullable=False),
    sa.Column('approval_date', sa.Date(), nullable=True),
    sa.Column('funding_source', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('connected_to_exchange', sa.Boolean(), nullable=False),
    sa.Column('catalogued', sa.Boolean(), nullable=False),
    sa.Column('zombie_detached', sa.Boolean(), nullable=False),
    sa.Column('zombie_replaceable', sa.Boolean(), nullable=False),
    sa.Column('zombie_idle', sa.Boolean(), nullable=False),
    sa.Column('zombie_unmaintained', sa.Boolean(), nullable=False),
    sa.Column('zombie_low_use', sa.Boolean(), nullable=False),
    sa.Column('integrated_into_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['id'], ['nodes.id'], name=op.f('fk_information_systems_id_nodes')),
    sa.ForeignKeyConstraint(['integrated_into_id'], ['information_systems.id'], name=op.f('fk_information_systems_integrated_into_id_information_systems')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_information_systems'))
    )
    op.create_table('integration_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['id'], ['nodes.id'], name=op.f('fk_integration_plans_id_nodes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_plans'))
    )
    with op.batch_alter_table('integration_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integration_plans_year'), ['year'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_notifications_node_id_nodes')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)

    op.create_table('rectification_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_unit_id', sa.Integer(), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('doc_number', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['id'], ['nodes.id'], name=op.f('fk_rectification_orders_id_nodes')),
    sa.ForeignKeyConstraint(['target_unit_id'], ['units.id'], name=op.f('fk_rectification_orders_target_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_orders'))
    )
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_orders_target_unit_id'), ['target_unit_id'], unique=False)

    op.create_table('filing_systems',
    sa.Column('filing_id', sa.Integer(), nullable=False),
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['filing_id'], ['filings.id'], name=op.f('fk_filing_systems_filing_id_filings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['system_id'], ['information_systems.id'], name=op.f('fk_filing_systems_system_id_information_systems')),
    sa.PrimaryKeyConstraint('filing_id', 'system_id', name=op.f('pk_filing_systems'))
    )
    op.create_table('plan_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('target_system_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('done_date', sa.Date(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['integration_plans.id'], name=op.f('fk_plan_items_plan_id_integration_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['system_id'], ['information_systems.id'], name=op.f('fk_plan_items_system_id_information_systems')),
    sa.ForeignKeyConstraint(['target_system_id'], ['information_systems.id'], name=op.f('fk_plan_items_target_system_id_information_systems')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_items'))
    )
    with op.batch_alter_table('plan_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_items_plan_id'), ['plan_id'], unique=False)

    with op.batch_alter_table('nodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))




def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table('nodes', schema=None) as batch_op:
        batch_op.drop_column('search_text')

    with op.batch_alter_table('plan_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_items_plan_id'))

    op.drop_table('plan_items')
    op.drop_table('filing_systems')
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_orders_target_unit_id'))

    op.drop_table('rectification_orders')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_user_id'))

    op.drop_table('notifications')
    with op.batch_alter_table('integration_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integration_plans_year'))

    op.drop_table('integration_plans')
    op.drop_table('information_systems')
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_filings_year'))

    op.drop_table('filings')
    with op.batch_alter_table('field_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_field_changes_node_id'))

    op.drop_table('field_changes')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_node_id'))

    op.drop_table('attachments')

