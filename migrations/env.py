"""Alembic environment: the URL comes from the application, never from a second place.

Order: ``config.attributes['url']`` (set by the CLI and tests), then
``XIETONG_DB_URL``, then ``sqlalchemy.url`` of the ini's ``[app:main]``.
FTS and trigram helper tables are not in the models; ``include_object`` keeps
them out of ``alembic check``.
"""
from alembic import context

from xietong.db import database_url, make_engine
from xietong.models import Base

config = context.config


def _url() -> str:
    if config.attributes.get("url"):
        return config.attributes["url"]
    settings = {}
    if config.config_file_name:
        from pyramid.paster import get_appsettings

        settings = get_appsettings(config.config_file_name, "main")
    return database_url(settings)


#: indexes created by migrations but not declared in the models (0004: PostgreSQL pg_trgm)
UNMODELLED_INDEXES = frozenset({"ix_nodes_search_trgm"})


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "table" and reflected and compare_to is None:
        # tables the models do not know (search indexes, their shadow tables)
        return not (name.startswith("search_") or name.startswith("sqlite_"))
    if type_ == "index" and reflected and compare_to is None:
        return name not in UNMODELLED_INDEXES
    return True


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
