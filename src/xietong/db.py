"""Engines, sessions and the one-transaction-per-request wiring.

SQLite needs care to give real transactions (see DESIGN.md, "Traps"):

* Python's sqlite3 module issues no ``BEGIN`` before a SELECT, so we switch its
  own transaction handling off (``isolation_level = None``) and emit ``BEGIN``
  ourselves from SQLAlchemy's ``begin`` event — SQLAlchemy's documented recipe.
* A deferred read transaction that later writes gets ``SQLITE_BUSY`` at once, so
  a session meant to write begins ``BEGIN IMMEDIATE``.  :func:`write_engine`
  returns a view of the same engine (same pool) carrying that wish as an
  execution option; requests with unsafe methods, the CLI and services that
  write use it.
* WAL journal, a busy timeout and ``foreign_keys=ON`` on every connection.

On PostgreSQL both views are the same engine.  Its pool pings a connection before handing
it out (``pool_pre_ping``: a server restart or a terminated backend costs no request but
the ones in flight) and connecting gives up after :data:`CONNECT_TIMEOUT_S` seconds, so a
request for an unreachable server is answered 503 (:mod:`xietong.views.unavailable`)
rather than left hanging.
"""
import os
from pathlib import Path

import zope.sqlalchemy
from zope.sqlalchemy.datamanager import STATUS_CHANGED
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from . import generation  # noqa: F401 — its session listeners move the cache token on every write

BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 5
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def database_url(settings: dict) -> str:
    """The database URL: ``XIETONG_DB_URL`` wins over the ini's ``sqlalchemy.url``."""
    url = os.environ.get("XIETONG_DB_URL") or settings.get("sqlalchemy.url")
    if not url:
        raise SystemExit("no database configured: set sqlalchemy.url in the ini or XIETONG_DB_URL")
    return url


def make_engine(url: str, **kw) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kw)
        _make_sqlite_transactional(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        kw.setdefault("pool_pre_ping", True)
        connect_args = kw.setdefault("connect_args", {})
        connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        # PostgreSQL's JIT compiler misjudges the permission-filtered listings (a join over
        # every content type's table) as expensive and spent ~2.5 s compiling the worklist
        # count of each page; these are short OLTP queries, so it is off for our connections.
        connect_args.setdefault("options", "-c jit=off")
    return create_engine(url, **kw)


def _make_sqlite_transactional(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def write_engine(engine: Engine) -> Engine:
    """The same engine, but transactions begin ready to write (``BEGIN IMMEDIATE``)."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="IMMEDIATE")
    return engine


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)


def tm_session(factory: sessionmaker, transaction_manager, bind=None) -> Session:
    """A session joined to a ``transaction`` manager (pyramid_tm commits or aborts it).

    A transaction that only read is committed too, not rolled back as zope.sqlalchemy does
    by default (its ``initial_state``): psycopg forgets every statement it has prepared on
    a ROLLBACK, so a connection whose requests mostly read never kept one past its request,
    and PostgreSQL planned each statement anew every time — about 1 ms for a document with
    its type's columns (docs/PERFORMANCE.md, pass 6).  Committing a read costs what rolling
    it back costs, on both databases.
    """
    session = factory(bind=bind) if bind is not None else factory()
    zope.sqlalchemy.register(session, initial_state=STATUS_CHANGED, transaction_manager=transaction_manager)
    return session


def includeme(config):
    """Give every request ``request.dbsession``, joined to the request's transaction.

    Unsafe requests get a session on the write engine.  Tests may hand in their own
    session through ``environ['xietong.dbsession']`` (rolled back after the test).
    Each request session carries the mailer (built once, here) in ``session.info``
    for effects sent after commit (see :func:`xietong.services.notifications.mail_info`);
    a session handed in by a test carries whatever the test put there.  Every request session
    also carries the application's cache of figures (:mod:`xietong.generation`).
    """
    from .services.notifications import mail_info

    settings = config.get_settings()
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    engine = make_engine(database_url(settings))
    factory = session_factory(engine)
    config.registry["db.engine"] = engine
    config.registry["db.session_factory"] = factory
    mail = mail_info(settings)
    config.registry["mail"] = mail
    cache = config.registry[generation.CACHE_KEY] = generation.Cache()

    def dbsession(request):
        session = request.environ.get("xietong.dbsession")
        if session is None:
            bind = None if request.method in SAFE_METHODS else write_engine(engine)
            session = tm_session(factory, request.tm, bind=bind)
            session.info.update(mail)
        session.info[generation.CACHE_KEY] = cache  # a test's session may serve two applications
        return session

    config.add_request_method(dbsession, reify=True)
