"""Faults under load, with real processes: a worker killed mid-burst, connections dropped by the
server, PostgreSQL stopped and started again, and a bounded load test.

One gunicorn (2 sync workers, 127.0.0.1) serves a database of the process tests
(``gunicorn_server`` on ``module_db_url``) for the burst and load tests; the restart test runs its own gunicorn
on a private PostgreSQL cluster.  Clients are :class:`tests.apiclient.Burst`: every
transition carries a unique comment, unknown outcomes are settled by reading the
history, and :func:`tests.apiclient.check_documents` then demands, for every document,
history = creation + exactly the confirmed successes, a continuous chain, and a state
equal to the last row's ``to_state``; ``verify-history`` must pass.

On SQLite the worker-kill burst and the load test run too (a killed process leaves the
WAL journal consistent); the tests that need a PostgreSQL server skip there.
"""
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
import webtest
from sqlalchemy import text

from xietong import main
from xietong.db import make_engine
from xietong.testing import PASSWORD, app_settings, csrf_token, is_postgresql
from xietong.testservers import child_env, free_port, prepare_database, wait_until

from .apiclient import NEXT, TIMEOUT, Burst, bearer, check_documents, html_login, make_systems, run_threads, token

ROOT = Path(__file__).resolve().parents[1]
ON_POSTGRESQL = is_postgresql(os.environ.get("XIETONG_TEST_DB", "sqlite://"))
needs_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason="needs a PostgreSQL server (set XIETONG_TEST_DB): "
                                                                "SQLite has no server connections to drop or restart")
CLIENTS = 6


@pytest.fixture(scope="module")
def server(gunicorn_server):
    return gunicorn_server


@pytest.fixture(scope="module")
def reviewer_token(server):
    return token(server.url, "t_reviewer")


def verify_history_cli(db_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xietong.cli", "verify-history", "-c", str(ROOT / "development.ini")],
                          capture_output=True, text=True, env=child_env(XIETONG_DB_URL=db_url), cwd=ROOT)


def burst_with_fault(burst: Burst, documents: list[int], steps: int, fault, at_fraction: float = 0.4):
    """Walk the documents from CLIENTS threads; call ``fault()`` once the burst is that far along."""
    total = len(documents) * steps
    share = [documents[i::CLIENTS] for i in range(CLIENTS)]
    fired = threading.Event()

    def watch():
        wait_until(lambda: burst.done >= total * at_fraction, 120, "the burst to get going", interval=0.005)
        fault()
        fired.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    run_threads(burst.walk, [(mine, steps, i) for i, mine in enumerate(share)])
    watcher.join(timeout=120)
    assert fired.is_set(), "the fault was never injected"


# -- the app side: a database that cannot be reached -----------------------------------------------------

def test_an_unreachable_database_is_503_with_retry_after_not_500():
    """WebTest on an app whose database does not answer (a closed port): every page and API call
    says "unavailable, retry" in the user's language; nothing is a server error."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    app = webtest.TestApp(main({}, **app_settings(url, **{"xietong.skip_migration_check": "true"})),
                          extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1"})
    api = app.get("/api/documents", headers={"Authorization": "Bearer whatever"}, status=503)
    assert api.headers["Retry-After"] == "5"
    assert api.json["error"]["type"] == "database_unavailable"
    assert set(api.json["error"]) == {"type", "message", "details"} and "数据库" in api.json["error"]["message"]
    login = app.post_json("/api/auth/token", {"username": "t_staff", "password": "x"}, status=503)
    assert login.json["error"]["details"] == {"retry_after": 5}

    def log_in(status=503):
        form = app.get("/login")  # the form itself needs no database
        return app.post("/login", {"username": "t_staff", "password": PASSWORD, "csrf_token": csrf_token(form),
                                   "came_from": "/"}, status=status)

    page = log_in()
    assert page.headers["Retry-After"] == "5" and page.content_type == "text/html"
    assert "服务暂时不可用" in page.text and "数据库" in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    app.set_cookie("_LOCALE_", "en")
    assert "Service temporarily unavailable" in log_in().text
    assert "database is unavailable" in app.get("/api/worklist", headers=bearer("x"), status=503).json["error"]["message"]


# -- a. a transition interrupted mid-way -------------------------------------------------------------------

def test_a_worker_killed_mid_burst_loses_or_doubles_nothing(server, reviewer_token, module_db_url):
    documents = make_systems(module_db_url, 20, "被中断的系统")
    burst = Burst([server.url], reviewer_token, label="kill")
    killed = []
    burst_with_fault(burst, documents, steps=4, fault=lambda: killed.append(server.kill_worker()))

    assert killed and killed[0] not in server.worker_pids()  # gunicorn replaced the worker
    assert not {s for s in burst.statuses if isinstance(s, int) and s >= 500 and s != 503}, burst.statuses
    assert not set(burst.statuses) - {200, 503, "ConnectionError", "ReadTimeout", "ChunkedEncodingError"}, \
        burst.statuses  # nothing refused: each document has a client of its own
    rows = check_documents(module_db_url, burst, documents)
    assert sum(len(r) - 1 for r in rows.values()) == sum(len(c) for c in burst.confirmed.values())
    verified = verify_history_cli(module_db_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert requests.get(f"{server.url}/api/worklist", headers=bearer(reviewer_token), timeout=TIMEOUT).ok


@needs_postgresql
def test_connections_terminated_mid_burst_lose_or_double_nothing(server, reviewer_token, module_db_url):
    documents = make_systems(module_db_url, 20, "断开连接的系统")
    burst = Burst([server.url], reviewer_token, label="terminate")
    terminated = []
    admin = make_engine(module_db_url, isolation_level="AUTOCOMMIT")

    def terminate_every_backend():
        with admin.connect() as conn:
            terminated.extend(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalars())

    burst_with_fault(burst, documents, steps=4, fault=terminate_every_backend)
    admin.dispose()
    assert terminated and all(terminated)
    assert not set(burst.statuses) - {200, 503}, burst.statuses  # an in-flight request: 503, never a 500
    check_documents(module_db_url, burst, documents)
    verified = verify_history_cli(module_db_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # the pool pinged and replaced its dead connections: the app answers again without a restart
    answer = requests.get(f"{server.url}/api/worklist", headers=bearer(reviewer_token), timeout=TIMEOUT)
    assert answer.status_code == 200


# -- c. a bounded load test --------------------------------------------------------------------------------

def test_bounded_load_no_lost_or_doubled_transitions(server, reviewer_token, module_db_url):
    """CLIENTS clients, each walking documents of its own and, between its own steps, all of them
    racing for the same transition on shared documents: every own step wins, every contended
    round has exactly one winner and CLIENTS - 1 conflicts (409)."""
    steps, rounds = 4, 4
    own = make_systems(module_db_url, CLIENTS, "负载测试系统")
    shared = make_systems(module_db_url, 2, "争用的系统")
    burst = Burst([server.url], reviewer_token, label="load")
    barrier = threading.Barrier(CLIENTS)
    outcomes = {(document, r): [] for document in shared for r in range(rounds)}

    def client(index):
        burst.walk(own[index::CLIENTS], steps, index)
        for r in range(rounds):
            barrier.wait(timeout=120)
            for document in shared:
                outcome = burst.fire(document, "verify" if r % 2 == 0 else "reopen", f"r{r} c{index}", index)
                outcomes[(document, r)].append(outcome)

    run_threads(client, [(i,) for i in range(CLIENTS)])
    assert set(burst.statuses) == {200, 409}, burst.statuses
    assert burst.statuses[200] == len(own) * steps + len(shared) * rounds
    for key, seen in outcomes.items():
        assert sorted(seen) == ["refused"] * (CLIENTS - 1) + ["won"], (key, seen)
    rows = check_documents(module_db_url, burst, own + shared)
    assert all(len(rows[d]) == 1 + steps for d in own) and all(len(rows[d]) == 1 + rounds for d in shared)


# -- b. PostgreSQL stopped and started under load ----------------------------------------------------------

@needs_postgresql
def test_postgresql_restart_under_load_503_then_recovers(private_cluster, app_processes):
    admin = make_engine(private_cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE xt6_restart TEMPLATE template0 ENCODING 'UTF8' "
                          "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
    admin.dispose()
    db_url = private_cluster.url("xt6_restart")
    prepare_database(db_url)
    documents = make_systems(db_url, CLIENTS, "重启期间的系统")
    app = app_processes(db_url, workers=2)
    api_token = token(app.url, "t_reviewer")
    browser = html_login(app.url, "t_staff")

    burst = Burst([app.url], api_token, label="restart")
    pages, stop = [], threading.Event()
    lock = threading.Lock()

    def client(index):
        """Walk one document; after an unknown outcome only read (pages, the listing) until the
        database answers again, then settle the attempt from the history and walk on."""
        document, state, step, pending = documents[index], "recorded", 0, None
        while not stop.is_set():
            if pending is None:
                outcome = burst.fire(document, NEXT[state], step, index, settle=False)
                if outcome == "unknown":
                    pending = burst.comment(document, step)
                elif outcome == "won":
                    state = "verified" if state == "recorded" else "recorded"
                step += 1
            else:
                listing = requests.get(f"{app.url}/api/documents", headers=bearer(api_token), timeout=TIMEOUT)
                with lock:
                    pages.append((listing.status_code, listing.headers.get("Retry-After"), ""))
                if listing.status_code == 200:
                    burst.settle(document, pending, index)
                    state, pending = burst.state_and_comments(document, index)[0], None
            try:
                answer = browser.get(f"{app.url}/documents", timeout=TIMEOUT, allow_redirects=False)
                seen = (answer.status_code, answer.headers.get("Retry-After"), answer.text)
            except requests.RequestException as exc:
                seen = (type(exc).__name__, None, "")
            with lock:
                pages.append(seen)

    def count(status):
        return lambda: sum(1 for p in pages if p[0] == status) + burst.statuses[status]

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: count(200)() >= 20, 120, "requests before the restart")
        private_cluster.stop("fast")
        down_at = count(503)()
        wait_until(lambda: count(503)() >= down_at + 20, 120, "requests while the database is down")
        api = requests.get(f"{app.url}/api/documents", headers=bearer(api_token), timeout=TIMEOUT)
        page = browser.get(f"{app.url}/documents", timeout=TIMEOUT)
        private_cluster.start()
        up_at = count(200)()
        wait_until(lambda: count(200)() >= up_at + 20, 120, "requests after the restart")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        if not private_cluster.is_running():
            private_cluster.start()

    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert api.json()["error"]["type"] == "database_unavailable" and set(api.json()["error"]) == {
        "type", "message", "details"}
    assert page.status_code == 503 and page.headers["Retry-After"] == "5" and "服务暂时不可用" in page.text
    statuses = {p[0] for p in pages} | set(burst.statuses)
    assert statuses <= {200, 503}, statuses  # never a 500, never a dropped connection or a timeout
    assert all(p[1] == "5" for p in pages if p[0] == 503)
    # the same token and the same login work again: nothing was restarted but PostgreSQL
    assert requests.get(f"{app.url}/api/documents", headers=bearer(api_token), timeout=TIMEOUT).status_code == 200
    assert browser.get(f"{app.url}/documents", timeout=TIMEOUT, allow_redirects=False).status_code == 200
    check_documents(db_url, burst, documents)
    verified = verify_history_cli(db_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
