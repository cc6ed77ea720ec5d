"""dashboard indexes: rectification_orders.due_date; local_roles.user_id partial (user_id IS NOT NULL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Measured at 100k documents with the key-task corpus (bench/generate.py: 11,397
rectification orders, 5,128 open; 165,328 local roles, all but none of them a unit's)
and with statistics (``ANALYZE``), in process:

``ix_rectification_orders_due_date``
    The leadership group's dashboard lists the overdue open orders soonest first
    (``services.dashboards.open_orders``, ``LIMIT 100``).  Without the index SQLite
    collected every open order through ``ix_nodes_permission``, fetched each one's
    ``nodes`` and ``rectification_orders`` rows and sorted them: 6.6 ms of a page that
    must answer in about 15 ms.  With it SQLite walks the orders by due date and stops
    after 100: 0.3 ms.

``ix_local_roles_user_id`` becomes partial (``WHERE user_id IS NOT NULL``)
    Local roles are nearly all a unit's (a key task's lead and cooperating units, and
    the task's lead units again on each of its progress reports), so ``user_id`` is NULL
    in nearly every row — and SQLite's ``sqlite_stat1`` counts NULLs as one value
    ("165328 165328": every ``user_id = ?`` matches the whole table).  The permission
    predicate's granted-ids subquery (``user_id = ? OR unit_id = ?``) was then planned as
    a scan of all 165k rows, once per conditional term: 23 ms each, 160 ms for a clerk's
    worklist count and 490 ms for ``/dashboards/unit``.  The partial index holds only the
    rows it can answer, so the OR is again two index searches: 1.2 ms.  PostgreSQL
    keeps NULL fractions in its statistics and did not mind; the partial index is simply
    smaller there.

Plain ``CREATE INDEX``: on a large PostgreSQL table create ``ix_rectification_orders_due_date``
by hand first with ``CREATE INDEX CONCURRENTLY`` (and the partial index under a new name,
then drop the old one and rename), then ``alembic stamp 0010``.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NOT_NULL = sa.text("user_id IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_rectification_orders_due_date", "rectification_orders", ["due_date"])
    op.drop_index("ix_local_roles_user_id", table_name="local_roles")
    op.create_index("ix_local_roles_user_id", "local_roles", ["user_id"], sqlite_where=NOT_NULL,
                    postgresql_where=NOT_NULL)


def downgrade() -> None:
    op.drop_index("ix_local_roles_user_id", table_name="local_roles")
    op.create_index("ix_local_roles_user_id", "local_roles", ["user_id"])
    op.drop_index("ix_rectification_orders_due_date", table_name="rectification_orders")
