"""key tasks, milestones, delay requests, progress, annual and aggregate reports

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

The seed's ten key tasks and seven safeguard items (``xietong.models.tasks``): their
milestones, delay requests, progress reports and the sweeper's once-only reminders;
annual reports per unit and year and the leadership group's aggregate report
(``xietong.models.reports``).  New tables only: nothing existing changes.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('aggregate_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['id'], ['nodes.id'], name=op.f('fk_aggregate_reports_id_nodes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aggregate_reports'))
    )
    with op.batch_alter_table('aggregate_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aggregate_reports_year'), ['year'], unique=True)

    op.create_table('annual_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('catalogue', sa.Text(), nullable=False),
    sa.Column('platform', sa.Text(), nullable=False),
    sa.Column('sharing', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['id'], ['nodes.id'], name=op.f('fk_annual_reports_id_nodes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_reports'))
    )
    with op.batch_alter_table('annual_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annual_reports_year'), ['year'], unique=False)

    op.create_table('key_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('section', sa.String(length=20), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['id'], ['nodes.id'], name=op.f('fk_key_tasks_id_nodes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_tasks')),
    sa.UniqueConstraint('number', name=op.f('uq_key_tasks_number'))
    )
    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('original_due_date', sa.Date(), nullable=False),
    sa.Column('done_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['key_tasks.id'], name=op.f('fk_milestones_task_id_key_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones'))
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestones_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestones_task_id'), ['task_id'], unique=False)

    op.create_table('progress_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('percentage', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['id'], ['nodes.id'], name=op.f('fk_progress_reports_id_nodes')),
    sa.ForeignKeyConstraint(['task_id'], ['key_tasks.id'], name=op.f('fk_progress_reports_task_id_key_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_reports'))
    )
    with op.batch_alter_table('progress_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_reports_task_id'), ['task_id'], unique=False)

    op.create_table('delay_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('requested_due_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_delay_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_delay_requests_milestone_id_milestones'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_delay_requests_requested_by_id_users')),
    sa.ForeignKeyConstraint(['task_id'], ['key_tasks.id'], name=op.f('fk_delay_requests_task_id_key_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delay_requests'))
    )
    with op.batch_alter_table('delay_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delay_requests_task_id'), ['task_id'], unique=False)

    op.create_table('milestone_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_milestone_reminders_milestone_id_milestones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone_reminders')),
    sa.UniqueConstraint('milestone_id', 'kind', 'due_date', name=op.f('uq_milestone_reminders_milestone_id'))
    )
    with op.batch_alter_table('milestone_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_reminders_milestone_id'), ['milestone_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('milestone_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_reminders_milestone_id'))

    op.drop_table('milestone_reminders')
    with op.batch_alter_table('delay_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delay_requests_task_id'))

    op.drop_table('delay_requests')
    with op.batch_alter_table('progress_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_reports_task_id'))

    op.drop_table('progress_reports')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestones_task_id'))
        batch_op.drop_index(batch_op.f('ix_milestones_due_date'))

    op.drop_table('milestones')
    op.drop_table('key_tasks')
    with op.batch_alter_table('annual_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annual_reports_year'))

    op.drop_table('annual_reports')
    with op.batch_alter_table('aggregate_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aggregate_reports_year'))

    op.drop_table('aggregate_reports')
