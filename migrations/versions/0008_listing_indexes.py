"""listing indexes: (workflow_id, state, unit_id, owner_id, trashed_at) and (modified_at, id) on nodes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Measured at 100k documents (docs/PERFORMANCE.md, bench/run.py):

``ix_nodes_permission``
    The permission predicates (``xietong.security.clause_for_roles``) are an OR of
    ``workflow_id = w AND state IN (...)`` terms, some with unit / owner / local-role
    conditions.  With this index SQLite answers the OR term by term from the index
    alone (its multi-index OR over a covering index) and PostgreSQL can bitmap-scan it;
    without it every count of a listing, the worklist and the navigation's badge tested
    every row of ``nodes`` (150–230 ms on SQLite for a clerk, 25–35 ms with it).

``ix_nodes_recent``
    Listings and worklists are newest first (``modified_at DESC, id DESC``).  Walking
    this index backwards finds a page of 50 after a few hundred rows instead of sorting
    every match (a reviewer's worklist: 150 ms to 3 ms on SQLite).

Plain ``CREATE INDEX``: on a large PostgreSQL table create them by hand first with
``CREATE INDEX CONCURRENTLY`` (same names) to avoid the write lock; this migration then
fails on the existing names, so stamp it instead (``alembic stamp 0008``).
"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_nodes_permission", "nodes", ["workflow_id", "state", "unit_id", "owner_id", "trashed_at"])
    op.create_index("ix_nodes_recent", "nodes", ["modified_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_nodes_recent", table_name="nodes")
    op.drop_index("ix_nodes_permission", table_name="nodes")
