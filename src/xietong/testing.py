"""Test fixtures, shipped as a pytest plugin (``-p xietong.testing`` in setup.cfg).

The fixture graph (session-scoped unless marked *per test*)::

    db_url ── XIETONG_TEST_DB (PostgreSQL; one database per xdist worker) or a SQLite file
      └─ engine ── the schema built by the real migrations (alembic upgrade head),
           │       the seed's units and one user per role, committed once
           ├─ dbsession (per test) ── a session inside an outer transaction that is
           │       rolled back after the test: tests never see each other's writes
           │    └─ key_tasks (per test) ── the seed's key tasks loaded into that session
           └─ app ── the WSGI application from ``xietong.main`` on the same database
                └─ testapp (per test) ── WebTest on ``app``, every request using the
                        test's ``dbsession`` (so it is rolled back too)

    fresh_db_url (per test) ── an empty database of its own (new SQLite file or a new
        PostgreSQL database created from template0 with a UTF-8 LC_CTYPE), dropped after
    live_server (per test) ── waitress on 127.0.0.1 serving a migrated and seeded
        ``fresh_db_url`` in a thread; stopped by the fixture (``live_server_factory``
        starts one with other settings, e.g. the test workflows)

    module_db_url ── like ``fresh_db_url``, migrated and seeded, for the process tests
      └─ gunicorn_server ── gunicorn (2 workers) on it, in processes of its own
    app_processes (per module) ── more gunicorn instances, stopped after the module
    private_cluster (per module) ── a PostgreSQL cluster of the module's own
        (these live in :mod:`xietong.testservers`)

Databases the tests create are named after ``XIETONG_TEST_DB``'s (``<name>_t_<random>``),
so several people sharing one PostgreSQL server each keep to their own prefix.

``users`` maps a role name to the username holding it (``people`` to the User row);
every user's password is :data:`PASSWORD`.  ``workflows`` is the project's workflow set.  ``login(testapp, username)`` logs a WebTest client in through
the real login form (CSRF token included).
"""
import os
import re
import threading
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from .models import Node
from .testservers import app_processes, gunicorn_server, module_db_url, private_cluster  # noqa: F401


def pytest_configure(config):
    """The suite hashes passwords with argon2's cheapest parameters (see :mod:`xietong.passwords`)."""
    from .passwords import use_cheapest_profile

    use_cheapest_profile()


PASSWORD = "correct-horse-battery"
SECRET = "test-secret-" + "x" * 40

#: role -> (username, unit code, unit role, global roles)
TEST_USERS = {
    "admin": ("t_admin", "xinxiban", None, ["admin"]),
    "staff": ("t_staff", "gonganju", "staff", []),
    "head": ("t_head", "gonganju", "head", []),
    "reviewer": ("t_reviewer", "xinxiban", "staff", ["reviewer"]),
    "finance": ("t_finance", "caizhengju", "staff", ["finance"]),
    "auditor": ("t_auditor", "shenjiju", "staff", ["auditor"]),
    "leader": ("t_leader", "lingdaoxiaozu", "staff", ["leader"]),
    "other_staff": ("t_other", "gongshangju", "staff", []),
}


def is_postgresql(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def scratch_database_prefix(server_url: str) -> str:
    """The prefix of the databases the tests create next to ``server_url``'s."""
    return f"{make_url(server_url).database or 'xietong'}_t"[:40]


def create_database(server_url: str, name: str) -> str:
    """Create an empty PostgreSQL database that can index Chinese; return its URL."""
    from .db import make_engine

    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\' '
                          f"LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    from .db import make_engine

    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def migrate(url: str) -> None:
    from .migrate import alembic_config, upgrade

    upgrade(alembic_config(None, url=url))


def project_workflows():
    """The project's own ``workflows/*.yaml`` (those the seed's key tasks need)."""
    from pathlib import Path

    from .workflow.loader import load_directory

    workflows, errors = load_directory(Path(__file__).resolve().parents[2] / "workflows")
    assert not errors, errors
    return workflows


def populate(url: str, with_test_users: bool = True, with_tasks: bool = False) -> None:
    """Load the seed's units (and its key tasks if asked) and (optionally) one user per test role,
    committed.  The shared test database holds no key task — tests that need them take the
    ``key_tasks`` fixture — so that listings and searches of the other tests see only their own."""
    from .db import make_engine, write_engine
    from .services.seed import load_units
    from .services.tasks import load_tasks
    from .services.users import create_user

    engine = make_engine(url)
    with Session(bind=write_engine(engine)) as session:
        load_units(session)
        if with_tasks:
            load_tasks(session, project_workflows())
        if with_test_users:
            for username, unit, unit_role, roles in TEST_USERS.values():
                create_user(session, None, {"username": username, "display_name": username,
                                            "unit": unit, "unit_role": unit_role, "roles": roles,
                                            "password": PASSWORD})
        session.commit()
    engine.dispose()


def app_settings(url: str, **extra) -> dict:
    return {"sqlalchemy.url": url, "xietong.secret": SECRET, "pyramid.default_locale_name": "zh_CN", **extra}


def worker_database_name(url: str, worker: str) -> str:
    """The database a pytest-xdist worker uses instead of ``XIETONG_TEST_DB`` itself."""
    return f"{make_url(url).database}_{worker}"


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    """``XIETONG_TEST_DB``, or a SQLite file.  Under pytest-xdist (``-n``) each worker has a
    database of its own — ``<XIETONG_TEST_DB>_gw0``, ``…_gw1``, made afresh from template0
    and kept after the run (CI verifies their history chains) — so that the session's
    committed seed and the tests that commit do not meet another worker's."""
    url = os.environ.get("XIETONG_TEST_DB")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url and worker:
        name = worker_database_name(url, worker)
        drop_database(url, name)
        return create_database(url, name)
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def engine(db_url):
    from .db import make_engine

    engine = make_engine(db_url)
    if is_postgresql(db_url):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate(db_url)
    populate(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def dbsession(engine):
    """A session whose work is rolled back after the test (its commits become savepoints)."""
    from .db import write_engine

    connection = write_engine(engine).connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()
    outer.rollback()
    connection.close()


@pytest.fixture(scope="session")
def users(engine) -> dict[str, str]:
    return {role: spec[0] for role, spec in TEST_USERS.items()}


@pytest.fixture
def people(dbsession, users):
    """role -> the User row holding it, in the test's ``dbsession``."""
    return {role: get_user(dbsession, name) for role, name in users.items()}


@pytest.fixture
def workflows(app):
    """The project's workflows (``workflows/*.yaml``) as the application loaded them."""
    return app.registry["workflows"]


@pytest.fixture(scope="session")
def app(engine, db_url):
    from . import main

    return main({}, **app_settings(db_url))


def _client(app, dbsession):
    import transaction
    import webtest

    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    client = webtest.TestApp(app, extra_environ={
        "HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1",
        "tm.active": True, "tm.manager": tm, "xietong.dbsession": dbsession,
    })
    return client, tm


@pytest.fixture
def testapp(app, dbsession):
    client, tm = _client(app, dbsession)
    yield client
    tm.abort()


@pytest.fixture(scope="session")
def review_app(engine, db_url, request):
    """The application configured with the engine tests' workflows (tests/workflows)."""
    from pathlib import Path

    from . import main

    folder = Path(str(request.config.rootpath)) / "tests" / "workflows"
    return main({}, **app_settings(db_url, **{"xietong.workflows": str(folder)}))


@pytest.fixture
def review_testapp(review_app, dbsession):
    """WebTest on :func:`review_app`, rolled back with the test's ``dbsession``."""
    client, tm = _client(review_app, dbsession)
    yield client
    tm.abort()


CSRF_RE = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


def csrf_token(page) -> str:
    found = CSRF_RE.search(page.text)
    assert found, "page has no CSRF token field"
    return found.group(1)


def login(client, username: str, password: str = PASSWORD, status=303, address=None):
    page = client.get("/login")
    extra = {"REMOTE_ADDR": address} if address else None
    return client.post("/login", {"username": username, "password": password,
                                  "csrf_token": csrf_token(page), "came_from": "/"},
                       status=status, extra_environ=extra)


@pytest.fixture
def key_tasks(dbsession, workflows) -> dict:
    """The seed's key tasks loaded as ``xietong load-seed`` loads them, in this test's rolled-back
    session; number ("1".."10", "三(一)"..) -> KeyTask."""
    from sqlalchemy import select

    from .models import KeyTask
    from .services.tasks import load_tasks

    load_tasks(dbsession, workflows)
    return {t.number: t for t in dbsession.scalars(select(KeyTask).order_by(KeyTask.sort_order))}


@pytest.fixture
def fresh_db_url(tmp_path):
    """An empty database of this test's own, dropped afterwards."""
    server = os.environ.get("XIETONG_TEST_DB")
    if server and is_postgresql(server):
        name = f"{scratch_database_prefix(server)}_{uuid.uuid4().hex[:12]}"
        url = create_database(server, name)
        yield url
        drop_database(server, name)
    else:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"


@pytest.fixture
def live_server_factory(fresh_db_url):
    """Start Xietong with waitress on 127.0.0.1 (a free port) over a migrated, seeded database
    with the demo accounts; ``extra`` settings override the defaults.  Stopped afterwards."""
    from waitress.server import create_server

    from . import main
    from .db import make_engine, write_engine
    from .services.seed import create_demo_users

    servers = []

    def start(**extra) -> str:
        migrate(fresh_db_url)
        populate(fresh_db_url, with_tasks=True)
        engine = make_engine(fresh_db_url)
        with Session(bind=write_engine(engine)) as session:
            create_demo_users(session)
            session.commit()
        engine.dispose()
        wsgi = main({}, **app_settings(fresh_db_url, **extra))
        server = create_server(wsgi, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread, wsgi))
        return f"http://127.0.0.1:{server.effective_port}"

    yield start
    for server, thread, wsgi in servers:
        stop_waitress(server, thread)
        wsgi.registry["db.engine"].dispose()


def stop_waitress(server, thread) -> None:
    """Stop a waitress server running in ``thread``.

    Closing the listening socket is not enough: waitress's loop runs while any connection
    is open, and a browser keeps its connections alive, so every test waited out the join's
    timeout (5 s).  Close the open connections too, then the loop ends at once.
    """
    server.close()
    for channel in list(server._map.values()):
        channel.handle_close()
    server.task_dispatcher.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def live_server(live_server_factory):
    """Xietong served on 127.0.0.1 with the project's workflows (see :func:`live_server_factory`)."""
    return live_server_factory()





@pytest.fixture(scope="session")
def review_workflows(request):
    """The engine tests' workflows (``tests/workflows/*.yaml``), loaded and validated."""
    from pathlib import Path

    from .workflow import load_or_fail

    return load_or_fail(Path(str(request.config.rootpath)) / "tests" / "workflows")


def get_user(session, username: str):
    from sqlalchemy import select

    from .models import User

    return session.execute(select(User).where(User.username == username)).scalar_one()


class Note(Node):
    """The engine tests' document type: a bare node (single-table, no table of its own)."""

    __mapper_args__ = {"polymorphic_identity": "note"}


def make_note(session, workflows, author, title="关于整合共享的说明", unit=None, name=None):
    """A workflowed ``note`` in the ``review`` workflow, created through the service."""
    from .services.workflow import Actor, create_document

    name = name or f"note-{uuid.uuid4().hex[:10]}"
    node = Note(name=name, path=f"/notes/{name}/", title=title,
                unit_id=(unit.id if unit else author.unit_id), owner=author)
    return create_document(session, workflows, node, Actor.of(author))
