"""ix_nodes_recent covers the permission predicate and the type filter: (modified_at, id, workflow_id, state, unit_id, owner_id, trashed_at, type)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Measured at 100k documents (docs/PERFORMANCE.md): with ``(modified_at, id)`` alone, a
listing newest first had to fetch each node's row (title, search text: large) to test the
permission predicate, so SQLite preferred to collect every match through
``ix_nodes_permission`` and sort them — 130 ms for the newest 50 of a reviewer's 46,902
worklist documents, 50 ms for their count.  With the predicate's columns in the index the
walk never leaves it: 0.1 ms for the page, 1 ms for a count capped at 1,000; with ``type``
too, the reviewer's submitted filings (9,350) 9.9 ms → 1 ms.

Plain ``CREATE INDEX``: on a large PostgreSQL table build ``ix_nodes_recent_new`` by hand
with ``CREATE INDEX CONCURRENTLY``, drop the old one, rename, and ``alembic stamp 0009``.
"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COVERING = ["modified_at", "id", "workflow_id", "state", "unit_id", "owner_id", "trashed_at", "type"]


def upgrade() -> None:
    op.drop_index("ix_nodes_recent", table_name="nodes")
    op.create_index("ix_nodes_recent", "nodes", COVERING)


def downgrade() -> None:
    op.drop_index("ix_nodes_recent", table_name="nodes")
    op.create_index("ix_nodes_recent", "nodes", ["modified_at", "id"])
