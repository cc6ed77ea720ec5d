"""local roles indexed by principal, role and node: the permission predicate's grants from the index alone

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

The permission predicate (``security._granted_clause``) reads the grants of the user and
of the user's unit, of the roles that the listing's (workflow, state) pairs need.  With
indexes on ``user_id`` and ``unit_id`` alone it found all of the unit's grants and then
fetched each row to test its role: the information office holds 1,861 grants (it leads
key task 2, and each progress report of the task repeats its lead units), none of them a
role a reviewer's search asks for, and PostgreSQL spent 15 ms of every such page on 7,444
index and heap reads (``EXPLAIN (ANALYZE, BUFFERS)``, 100k documents).

``ix_local_roles_unit_role (unit_id, role, node_id)`` replaces ``ix_local_roles_unit_id``
(its first column serves every ``unit_id`` lookup the old one did) and
``ix_local_roles_user_role (user_id, role, node_id) WHERE user_id IS NOT NULL`` replaces
the partial ``ix_local_roles_user_id`` (migration 0010 says why it is partial): the
grants are now a search of the index that reads no table row.

Plain ``CREATE INDEX``: on a large PostgreSQL table create the new indexes by hand first with
``CREATE INDEX CONCURRENTLY``, drop the old ones, then ``alembic stamp 0012``.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NOT_NULL = sa.text("user_id IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_local_roles_unit_role", "local_roles", ["unit_id", "role", "node_id"])
    op.create_index("ix_local_roles_user_role", "local_roles", ["user_id", "role", "node_id"],
                    sqlite_where=NOT_NULL, postgresql_where=NOT_NULL)
    op.drop_index("ix_local_roles_unit_id", table_name="local_roles")
    op.drop_index("ix_local_roles_user_id", table_name="local_roles")
    _statistics_for_the_new_indexes()


def _statistics_for_the_new_indexes() -> None:
    """Where the database keeps planner statistics, give the new indexes theirs at once.

    A SQLite database that was ``ANALYZE``d (bench/generate.py does) would otherwise plan
    with statistics for every index but these two; one that never was keeps having none.
    """
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ANALYZE local_roles")
    elif bind.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        op.execute("ANALYZE local_roles")


def downgrade() -> None:
    op.create_index("ix_local_roles_user_id", "local_roles", ["user_id"], sqlite_where=NOT_NULL,
                    postgresql_where=NOT_NULL)
    op.create_index("ix_local_roles_unit_id", "local_roles", ["unit_id"])
    op.drop_index("ix_local_roles_user_role", table_name="local_roles")
    op.drop_index("ix_local_roles_unit_role", table_name="local_roles")
