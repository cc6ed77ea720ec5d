"""Real processes for the fault, load and scale-out tests: gunicorn instances and a private
PostgreSQL cluster.  Part of the ``xietong.testing`` plugin (its fixtures are imported there).

* :class:`AppProcess` runs Xietong the way production does — ``gunicorn --paste app.ini``
  with N sync workers on ``127.0.0.1:<free port>`` — from an ini written for the test (the
  database URL, the shared test secret, the project's workflows and migrations).  It
  knows its workers' pids (``/proc/<master>/task/<master>/children``) so a test can
  SIGKILL one, and waits until gunicorn has replaced it.  ``stop()`` sends SIGTERM to the
  master and, after a grace period, SIGKILL to the process group it started (its own).
* :class:`PrivateCluster` is a PostgreSQL cluster of the test's own: ``initdb`` into a
  temporary folder (as the ``postgres`` user when the tests run as root: initdb refuses
  root), ``pg_ctl start`` on a free port on 127.0.0.1 with ``trust`` authentication.
  It can be stopped and started again under load; the machine's shared server is never
  touched.

Fixtures (session-scoped where starting them is slow, so the process tests share them):

``app_processes`` (module)
    ``start(db_url, workers=2, **settings) -> AppProcess``; every process started is
    stopped after the module.
``module_db_url`` (session)
    a fresh database for the process tests (a PostgreSQL database created next to
    ``XIETONG_TEST_DB``, or a SQLite file), migrated and seeded with the units and the test
    users; dropped at the end.  Tests on it use documents of their own.
``gunicorn_server`` (session)
    an :class:`AppProcess` with 2 workers on ``module_db_url``, stopped at the end.
``private_cluster``
    a started :class:`PrivateCluster` (skips when the PostgreSQL binaries are missing);
    stopped and removed after the module.
"""
from contextlib import contextmanager
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, seconds: float, what: str, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(interval)


def child_env(**extra) -> dict:
    """The environment for a child process: no database or secret leaking in from the shell."""
    env = {k: v for k, v in os.environ.items() if k not in ("XIETONG_DB_URL", "XIETONG_SECRET", "XIETONG_WORKFLOWS")}
    env.update(extra)
    return env


APP_INI = """\
[app:main]
use = egg:xietong
sqlalchemy.url = {url}
xietong.secret = {secret}
xietong.demo_accounts = false
xietong.cookie_secure = false
xietong.workflows = {root}/workflows
pyramid.default_locale_name = zh_CN
retry.attempts = 3
tm.manager_hook = pyramid_tm.explicit_manager
{extra}

[alembic]
script_location = {root}/migrations
"""


class AppProcess:
    """``gunicorn --paste`` serving Xietong on 127.0.0.1 (see the module docstring)."""

    def __init__(self, folder: Path, db_url: str, secret: str, workers: int = 2, **settings):
        self.folder, self.workers = folder, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ini = folder / "app.ini"
        extra = "\n".join(f"{k} = {v}" for k, v in settings.items())
        self.ini.write_text(APP_INI.format(url=db_url, secret=secret, root=ROOT, extra=extra), encoding="utf-8")
        self.log_path = folder / "gunicorn.log"
        self.process = None

    def start(self) -> "AppProcess":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--paste", str(self.ini), "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "3"],
            stdout=log, stderr=subprocess.STDOUT, env=child_env(), cwd=self.folder, start_new_session=True)
        log.close()
        wait_until(self._ready, STARTUP_SECONDS, f"gunicorn on {self.url}\n{self.log()}")
        wait_until(lambda: len(self.worker_pids()) == self.workers, STARTUP_SECONDS, "gunicorn's workers")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
        try:
            return requests.get(f"{self.url}/login", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def worker_pids(self) -> set[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return {int(pid) for pid in path.read_text().split()}
        except OSError:
            return set()

    def kill_worker(self) -> int:
        """SIGKILL one worker; return once gunicorn has started a new one in its place."""
        before = self.worker_pids()
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: (lambda now: victim not in now and len(now) == self.workers)(self.worker_pids()),
                   STARTUP_SECONDS, "gunicorn to replace the killed worker")
        return victim

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group this object started
            self.process.wait(timeout=15)


@pytest.fixture(scope="module")
def app_processes(tmp_path_factory):
    from .testing import SECRET

    started: list[AppProcess] = []

    def start(db_url: str, workers: int = 2, secret: str = SECRET, **settings) -> AppProcess:
        folder = tmp_path_factory.mktemp("gunicorn")
        app = AppProcess(folder, db_url, secret, workers, **settings)
        started.append(app)
        return app.start()

    yield start
    for app in started:
        app.stop()


@contextmanager
def fresh_database(folder: Path):
    """An empty database of its own: next to ``XIETONG_TEST_DB`` on PostgreSQL, else a SQLite file."""
    from .testing import create_database, drop_database, is_postgresql, scratch_database_prefix

    server = os.environ.get("XIETONG_TEST_DB")
    if server and is_postgresql(server):
        name = f"{scratch_database_prefix(server)}_{uuid.uuid4().hex[:12]}"
        url = create_database(server, name)
        try:
            yield url
        finally:
            drop_database(server, name)
    else:
        yield f"sqlite:///{folder / 'app.sqlite'}"


def prepare_database(url: str) -> None:
    """Migrate, then load the units and the test users (committed)."""
    from .testing import migrate, populate

    migrate(url)
    populate(url)


@pytest.fixture(scope="session")
def module_db_url(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("moduledb")) as url:
        prepare_database(url)
        yield url


@pytest.fixture(scope="session")
def gunicorn_server(tmp_path_factory, module_db_url):
    from .testing import SECRET

    app = AppProcess(tmp_path_factory.mktemp("gunicorn"), module_db_url, SECRET, workers=2)
    try:
        yield app.start()
    finally:
        app.stop()


# -- a private PostgreSQL cluster ---------------------------------------------------------------------

def postgres_bindir() -> Path | None:
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


class PrivateCluster:
    """A PostgreSQL cluster in a temporary folder, on a free port of 127.0.0.1 (trust auth)."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="xt6_pgcluster_"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # initdb and postgres refuse to run as root
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, env=child_env(LC_ALL="C.UTF-8"))

    def init(self) -> "PrivateCluster":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        return self

    def start(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} "
                   f"-c fsync=off -c max_connections=60 -c shared_buffers=16MB")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options, "-w",
                  "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def is_running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        if self.data.exists() and self.is_running():
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def private_cluster():
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    cluster = PrivateCluster(bindir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
