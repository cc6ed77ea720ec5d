"""search indexes: SQLite FTS5 trigram table over nodes.search_text; PostgreSQL pg_trgm GIN index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Neither object is in the models (``migrations/env.py``'s ``include_object`` keeps them,
and FTS5's shadow tables, out of ``alembic check``); ``xietong.services.search`` queries
them.  What each one answers is explained there.

SQLite
    ``search_fts``: an *external-content* FTS5 table (``content='nodes'``, rowid = nodes.id)
    with the ``trigram`` tokenizer (SQLite >= 3.34), so it stores only the index, not a
    second copy of the text.  Three triggers on ``nodes`` keep it in step on insert,
    update of ``search_text`` and delete; existing rows are indexed with FTS5's
    ``'rebuild'`` command.

    Careful in later migrations: an Alembic *batch* operation on ``nodes`` (SQLite's
    "move and copy") drops the table and with it these triggers.  Such a migration
    must run :func:`create_sqlite_triggers` again afterwards (and ``'rebuild'``); the
    start-up check (``xietong.services.search.check_search_index``) refuses to start
    while a trigger is missing.

PostgreSQL
    ``CREATE EXTENSION IF NOT EXISTS pg_trgm`` (a trusted extension since PostgreSQL 13:
    the database owner may create it) and a GIN ``gin_trgm_ops`` index on
    ``nodes.search_text``, which ``LIKE '%...%'`` uses for patterns of 3+ characters.
    The downgrade drops the index but keeps the extension (it may have been there
    before, and other objects may use it).  On a large table, build the index by hand
    with ``CREATE INDEX CONCURRENTLY`` before running this migration (the ``IF NOT
    EXISTS`` makes it a no-op then).
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TRIGRAM_INDEX = "ix_nodes_search_trgm"

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "search_text, content='nodes', content_rowid='id', tokenize='trigram')"
)

SQLITE_TRIGGERS = (
    """CREATE TRIGGER search_fts_ai AFTER INSERT ON nodes BEGIN
  INSERT INTO search_fts(rowid, search_text) VALUES (new.id, new.search_text);
END""",
    """CREATE TRIGGER search_fts_ad AFTER DELETE ON nodes BEGIN
  INSERT INTO search_fts(search_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END""",
    """CREATE TRIGGER search_fts_au AFTER UPDATE OF search_text ON nodes BEGIN
  INSERT INTO search_fts(search_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
  INSERT INTO search_fts(rowid, search_text) VALUES (new.id, new.search_text);
END""",
)


def create_sqlite_triggers() -> None:
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_TABLE)
        create_sqlite_triggers()
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON nodes USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for name in ("search_fts_au", "search_fts_ad", "search_fts_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    elif dialect == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
