"""The benchmark suite: Xietong against a bare Pyramid baseline, on the same server settings.

Run from a checkout (``pip install -e '.[bench]'``; wrk from Debian's ``wrk`` package)::

    python bench/run.py --documents 100000 --seconds 10 --db sqlite
    python bench/run.py --documents 100000 --seconds 10 --db postgresql

It generates the data it needs once (``bench/generate.py``; SQLite in
``var/bench-<N>.sqlite``, PostgreSQL in the database ``--pg-database`` on
``--pg-server``, created with a UTF-8 ``LC_CTYPE`` if missing) and reuses it when its
size matches (``--regenerate`` rebuilds).  Then, on the same database:

1. counts the SQL statements of one request of scenarios 1–4, in process (WebTest on the
   benchmark ini's application, a ``before_cursor_execute`` counter on its engine);
2. starts three servers with the same gunicorn settings (2 sync workers on 127.0.0.1,
   no access log): Xietong from ``bench/benchmark.ini`` (no debug toolbar), the
   baseline (:mod:`baseline`: one primary-key select, one Jinja2 template) and the floor
   of Xietong's own stack (:mod:`floor`: the cookie session, the request's transaction, the
   identity and one ORM load before the same template — the ceiling of any page's ratio);
3. logs in (the real login form; a bearer token for the API) and drives each scenario
   with wrk for ``--seconds`` after a one-second warm-up, the baseline before the first
   and after the last scenario (its mean is the denominator of every ratio):

   ====================  ================================================================
   stack_floor           ``/doc/{id}`` on the floor, as the 公安局 clerk, over the baseline's pages
   document_page         ``/documents/{id}`` as a 公安局 clerk, over 200 of its documents
   worklist, listing     ``/worklist`` and ``/documents?type=filing&state=submitted`` (50
                         rows) as the information office's reviewer
   search_2/3/5          ``/search?q=`` 整改 / 云平台 / 政务服务网 as the reviewer
   dashboard             ``/dashboards/leadership`` as a leader ("not available (404)"
                         until that page exists)
   floor_write           ``POST /api/doc/{id}`` on the floor (a token, a row lock, one update,
                         one insert, the commit), 16 connections: the ceiling of transitions/s
   transitions           ``POST /api/documents/{id}/@workflow/{t}`` as the reviewer, each
                         document once, 16 connections; afterwards the database is asked
                         whether every 200 left exactly one history row (none lost, none
                         doubled), whether each document's version equals its number of
                         history rows and whether their hash chains still verify
   memory                RSS of each worker after 10k and after 20k document-page requests
                         (a bounded count, so the Python load generator sends them)
   ====================  ================================================================

4. stops the servers and prints the table, then, as its last line,
   ``ratio document_page=<x> listing=<y>`` (with ``--db both``: the lower of the two
   databases' ratios), for scripts that follow the figures over time.
"""
import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
INI = HERE / "benchmark.ini"
SEARCHES = {"search_2": "整改", "search_3": "云平台", "search_5": "政务服务网"}
TRANSITION_CONNECTIONS = 16
TARGETS = {"document_page": ("ratio", 0.50), "worklist": ("ratio", 0.35), "listing": ("ratio", 0.35),
           "search_2": ("p50", 50), "search_3": ("p50", 50), "search_5": ("p50", 50), "dashboard": ("p50", 50),
           "transitions": ("rps", {"postgresql": 300, "sqlite": 150})}


@dataclass
class Row:
    scenario: str
    result: load.Result | None = None
    sql: int | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)


# -- the database ----------------------------------------------------------------------------------

def database_url(args, db: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{ROOT / 'var' / f'bench-{args.documents}.sqlite'}"
    name = args.pg_database or f"xietong_bench_{args.documents}"
    return f"{args.pg_server.rstrip('/')}/{name}"


def ensure_postgresql_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}) is None:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}" TEMPLATE template0 ENCODING \'UTF8\' '
                              "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
    admin.dispose()


def has_dataset(url: str, documents: int) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            marker = conn.scalar(text("SELECT count(*) FROM users WHERE username = 'bench_staff'"))
            count = conn.scalar(text("SELECT count(*) FROM nodes"))
        return bool(marker) and abs(count - documents) <= documents * 0.05
    except Exception:  # noqa: BLE001 — no such file or tables: generate
        return False
    finally:
        engine.dispose()


def prepare(args, db: str) -> str:
    import generate

    url = database_url(args, db)
    if db == "postgresql":
        ensure_postgresql_database(url)
    if args.regenerate or not has_dataset(url, args.documents):
        print(f"generating {args.documents} documents in {url} ...", file=sys.stderr)
        stats = generate.generate(url, args.documents, quiet=args.quiet)
        print(f"generated: {json.dumps(stats, ensure_ascii=False)}", file=sys.stderr)
    else:  # a dataset of an older checkout: bring its schema (indexes) to this one's
        from xietong.migrate import alembic_config, upgrade

        upgrade(alembic_config(None, url=url))
    return url


def pick(url: str, seed: int = 11) -> dict:
    """The ids the scenarios use: the clerk's documents and (document, transition) pairs for the reviewer."""
    import random

    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        unit = conn.scalar(text("SELECT id FROM units WHERE code = 'gonganju'"))
        pages = list(conn.scalars(text(
            "SELECT id FROM nodes WHERE unit_id = :u AND trashed_at IS NULL AND type <> 'rectification_order' "
            "ORDER BY id LIMIT 200"), {"u": unit}))
        pairs = [(i, t) for t, kind, state in (("review", "filing", "submitted"), ("verify", "information_system",
                                                                                    "recorded"),
                                              ("return", "filing", "reviewed"))
                 for i in conn.scalars(text("SELECT id FROM nodes WHERE type = :k AND state = :s AND "
                                            "trashed_at IS NULL"), {"k": kind, "s": state})]
    engine.dispose()
    random.Random(seed).shuffle(pairs)
    return {"pages": pages, "pairs": pairs}


# -- SQL statements per request (in process) ---------------------------------------------------------

def app_settings(url: str) -> dict:
    from pyramid.paster import get_appsettings

    settings = dict(get_appsettings(str(INI)))
    settings.update({"sqlalchemy.url": url, "xietong.secret": "bench-" + "s" * 40})
    return settings


@dataclass
class Statements:
    """A page's SQL in process: with the cache of figures warm, and right after a write (cold)."""
    warm: int
    cold: int
    cold_ms: float  # the median of COLD_RUNS requests, each right after a write

    @property
    def note(self) -> str:
        return f"after a write: {self.cold} SQL, {self.cold_ms:.0f} ms in process"


COLD_RUNS = 5


def count_statements(url: str, paths: dict[str, tuple[str, str]], password: str) -> dict[str, Statements | None]:
    """scenario -> its statements (after a warm-up request) and its cold path, for (username, path) each.

    Cold: the site's generation token replaced first, as any committed write does
    (xietong/generation.py), so the page computes its cached figures again.
    """
    import statistics

    import webtest
    from sqlalchemy import event, update

    from xietong import main
    from xietong.generation import new_token
    from xietong.models import SiteGeneration
    from xietong.testing import login

    app = main({}, **app_settings(url))
    engine = app.registry["db.engine"]
    seen = [0]

    def count(*_args):
        seen[0] += 1

    def write():
        with engine.begin() as conn:
            conn.execute(update(SiteGeneration).values(token=new_token()))

    clients, result = {}, {}
    event.listen(engine, "before_cursor_execute", count)
    try:
        for scenario, (username, path) in paths.items():
            if username not in clients:
                clients[username] = webtest.TestApp(app, extra_environ={"HTTP_HOST": "127.0.0.1",
                                                                        "REMOTE_ADDR": "127.0.0.1"})
                login(clients[username], username, password)
            client = clients[username]
            first = client.get(path, expect_errors=True)
            if first.status_int == 404:
                result[scenario] = None
                continue
            seen[0] = 0
            client.get(path)
            warm = seen[0]
            times = []
            for _ in range(COLD_RUNS):
                write()
                seen[0], started = 0, time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            result[scenario] = Statements(warm, seen[0], statistics.median(times))
    finally:
        event.remove(engine, "before_cursor_execute", count)
        engine.dispose()
    return result


# -- servers -----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn(target: list[str], port: int, env: dict, workers: int = 2) -> subprocess.Popen:
    """The one server command for both apps: gunicorn, sync workers, 127.0.0.1, no access log."""
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", "sync", "--timeout", "120", "--log-level", "warning", *target]
    return subprocess.Popen(command, env={**os.environ, **env}, cwd=str(ROOT))


# (name, gunicorn target, a path that answers below 500 once it is up)
APPS = (("xietong", ["--paste", str(INI)], "/login"),
        ("baseline", ["--chdir", str(HERE), "baseline:make_app()"], "/doc/1"),
        ("floor", ["--chdir", str(HERE), "floor:make_app()"], "/doc/1"))


@dataclass(frozen=True)
class Server:
    url: str  # http://127.0.0.1:<port>
    port: int
    process: subprocess.Popen


@contextmanager
def servers(url: str):
    """Xietong, the baseline and the stack's floor, served alike; name -> :class:`Server`.

    All three read the same database and secret, so a login cookie of Xietong's is valid on
    the floor.  They are stopped when the block ends, whatever happened in it.
    """
    env = {"XIETONG_DB_URL": url, "XIETONG_SECRET": secrets.token_urlsafe(40)}
    started = {}
    try:
        for name, target, _path in APPS:
            port = free_port()
            started[name] = Server(f"http://127.0.0.1:{port}", port, gunicorn(target, port, env))
        for name, _target, path in APPS:
            wait_ready(started[name].port, path, started[name].process)
        yield started
    finally:
        for server in started.values():
            stop(server.process)


def wait_ready(port: int, path: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    import http.client

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server on port {port} exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server on port {port} did not answer in {seconds} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry.name))
    return sorted(pids)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- logging in over HTTP ---------------------------------------------------------------------------

def _cookie(response) -> str | None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("xietong="):
            return value.split(";", 1)[0]
    return None


def login_cookie(port: int, username: str, password: str) -> str:
    import http.client
    import re

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    page = conn.getresponse()
    body = page.read().decode()
    cookie = _cookie(page)
    token = re.search(r'name="csrf_token"\s+value="([^"]+)"', body).group(1)
    form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token,
                                   "came_from": "/"})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/login", body=form, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                       "Cookie": cookie or ""})
    answer = conn.getresponse()
    answer.read()
    if answer.status != 303:
        raise SystemExit(f"logging in as {username} answered {answer.status}")
    return _cookie(answer)


def api_token(port: int, username: str, password: str) -> str:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/api/auth/token", body=json.dumps({"username": username, "password": password}),
                 headers={"Content-Type": "application/json"})
    answer = conn.getresponse()
    data = json.loads(answer.read())
    return data["token"]


def status_of(port: int, path: str, cookie: str) -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Cookie": cookie})
    answer = conn.getresponse()
    answer.read()
    return answer.status


# -- transitions: nothing lost, nothing doubled ------------------------------------------------------

def history_mark(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        mark = conn.scalar(text("SELECT coalesce(max(id), 0) FROM history"))
    engine.dispose()
    return mark


def check_transitions(url: str, mark: int, ok: int) -> dict:
    """After the run: new history rows vs 200s, doubles, versions, and the touched chains."""
    from sqlalchemy import create_engine, select, text
    from sqlalchemy.orm import Session

    from xietong.models import HistoryEntry, Node
    from xietong.services.history import entry_hash

    engine = create_engine(url)
    with Session(engine) as session:
        rows = session.execute(text("SELECT node_id, count(*) FROM history WHERE id > :m GROUP BY node_id"),
                               {"m": mark}).all()
        touched = [r[0] for r in rows]
        doubled = sum(1 for r in rows if r[1] > 1)
        new_rows = sum(r[1] for r in rows)
        bad_version, broken = 0, 0
        for start in range(0, len(touched), 500):
            chunk = touched[start:start + 500]
            versions = dict(session.execute(select(Node.id, Node.version).where(Node.id.in_(chunk))).all())
            chains = {}
            for entry in session.scalars(select(HistoryEntry).where(HistoryEntry.node_id.in_(chunk))
                                         .order_by(HistoryEntry.node_id, HistoryEntry.id)):
                chains.setdefault(entry.node_id, []).append(entry)
            for node_id, entries in chains.items():
                if versions.get(node_id) != len(entries):
                    bad_version += 1
                previous = None
                for entry in entries:
                    if entry.prev_hash != previous or entry_hash(entry) != entry.hash:
                        broken += 1
                        break
                    previous = entry.hash
    engine.dispose()
    return {"ok_responses": ok, "new_rows": new_rows, "lost": max(0, ok - new_rows),
            "phantom": max(0, new_rows - ok), "doubled": doubled, "bad_version": bad_version,
            "broken_chains": broken}


# -- one database ------------------------------------------------------------------------------------

def scenario_paths(chosen: dict) -> dict[str, tuple[str, str]]:
    """scenario -> (who, the path of its page) for scenarios 1–4."""
    return {
        "document_page": ("bench_staff", f"/documents/{chosen['pages'][0]}"),
        "worklist": ("bench_reviewer", "/worklist"),
        "listing": ("bench_reviewer", "/documents?type=filing&state=submitted"),
        **{name: ("bench_reviewer", "/search?" + urllib.parse.urlencode({"q": q})) for name, q in SEARCHES.items()},
        "dashboard": ("bench_leader", "/dashboards/leadership"),
    }


def run_database(args, db: str) -> list[Row]:
    import generate

    url = prepare(args, db)
    password = generate.PASSWORD
    chosen = pick(url)
    pages = [f"/documents/{i}" for i in chosen["pages"]]
    paths = scenario_paths(chosen)
    sql = count_statements(url, paths, password)
    rows = []
    with servers(url) as apps:
        x_url, x_port, b_url = apps["xietong"].url, apps["xietong"].port, apps["baseline"].url
        cookies = {name: login_cookie(x_port, name, password)
                   for name in ("bench_staff", "bench_reviewer", "bench_leader")}
        seconds, conns = args.seconds, args.connections

        def measure(base, items, headers=None, **kw):
            load.wrk(base, items, 1, conns, headers=headers)  # warm-up
            return load.wrk(base, items, seconds, conns, headers=headers, **kw)

        base_items = [("GET", f"/doc/{i}", None) for i in chosen["pages"]]
        baseline_runs = [measure(b_url, base_items)]
        rows.append(Row("stack_floor", measure(apps["floor"].url, base_items, {"Cookie": cookies["bench_staff"]}),
                        None, "session, transaction, identity, ORM load (bench/floor.py): no page can pass it"))
        for scenario, (username, path) in paths.items():
            items = [("GET", p, None) for p in pages] if scenario == "document_page" else [("GET", path, None)]
            headers = {"Cookie": cookies[username]}
            if status_of(x_port, items[0][1], headers["Cookie"]) == 404:
                rows.append(Row(scenario, None, None, "not available (404)"))
                continue
            found = sql.get(scenario)
            rows.append(Row(scenario, measure(x_url, items, headers), found.warm, found.note))
        baseline_runs.append(measure(b_url, base_items))
        rows.append(floor_writes(args, apps["floor"].url, x_port, chosen["pages"], password))
        rows.append(transitions(args, url, x_port, chosen["pairs"], password))
        rows.append(memory(args, apps["xietong"].process.pid, x_url, pages, cookies["bench_staff"]))
    base = load.Result(requests=sum(r.requests for r in baseline_runs),
                       seconds=sum(r.seconds for r in baseline_runs),
                       errors=sum(r.errors for r in baseline_runs),
                       p50_ms=sum(r.p50_ms for r in baseline_runs) / 2, p99_ms=max(r.p99_ms for r in baseline_runs))
    rows.insert(0, Row("baseline", base, 1, f"runs: {', '.join(f'{r.rps:.0f}' for r in baseline_runs)} req/s"))
    return rows


def floor_writes(args, floor_url: str, x_port: int, pages, password: str) -> Row:
    """The floor's write (bench/floor.py) under the transitions' load: the most a transition could reach."""
    token = api_token(x_port, "bench_reviewer", password)
    items = [("POST", f"/api/doc/{i}", None) for i in pages]
    result = load.wrk(floor_url, items, args.seconds, TRANSITION_CONNECTIONS, threads=2,
                      headers={"Authorization": f"Bearer {token}"})
    return Row("floor_write", result, None, "token, row lock, one update, one insert, commit (bench/floor.py)")


def transitions(args, url: str, port: int, pairs, password: str) -> Row:
    token = api_token(port, "bench_reviewer", password)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"comment": "同意，请按要求补充材料"}, ensure_ascii=True)
    items = [("POST", f"/api/documents/{i}/@workflow/{t}", body) for i, t in pairs]
    mark = history_mark(url)
    result = load.wrk(f"http://127.0.0.1:{port}", items, args.seconds, TRANSITION_CONNECTIONS, threads=2,
                      headers=headers, distinct=True)
    ok = result.requests - result.errors
    check = check_transitions(url, mark, ok)
    result.requests = check["new_rows"]  # transitions/s: what reached the database
    # "phantom": rows whose response wrk did not count — requests in flight when it stopped
    # (at most one per connection); anything else is a problem
    problem = (check["lost"] or check["doubled"] or check["bad_version"] or check["broken_chains"]
               or check["phantom"] > TRANSITION_CONNECTIONS)
    note = "PROBLEM" if problem else "zero lost or doubled"
    if check["phantom"] and not problem:
        note += f" ({check['phantom']} in flight at the end)"
    if len(items) < (result.rps or 1) * args.seconds:
        note += "; documents ran out"
    return Row("transitions", result, None, note, check)


def memory(args, master: int, base: str, pages, cookie: str) -> Row:
    items = [("GET", p, None) for p in pages]
    readings = []
    for _ in range(2):
        load.python_load(base, items, args.memory_requests, clients=4, headers={"Cookie": cookie})
        readings.append({pid: rss_kib(pid) for pid in worker_pids(master)})
    growth = max((readings[1][p] - readings[0][p]) / readings[0][p] for p in readings[0] if p in readings[1])
    note = (f"RSS after {args.memory_requests // 1000}k: "
            + ", ".join(f"{v / 1024:.0f}" for v in readings[0].values())
            + f" MiB; after {2 * args.memory_requests // 1000}k: "
            + ", ".join(f"{v / 1024:.0f}" for v in readings[1].values()) + f" MiB; growth {growth:+.1%}")
    return Row("memory", None, None, note, {"growth": growth, "readings": [list(r.values()) for r in readings]})


# -- the smoke run (tests/test_bench_smoke.py) --------------------------------------------------------

def smoke(url: str, documents: int = 1000, requests: int = 6) -> dict[str, dict[int, int]]:
    """Generate a small city in ``url``, serve it as :func:`run_database` does and send each
    scenario a few requests with the Python load generator; scenario -> {status: count}.

    A scenario whose page does not exist yet (the dashboard) answers ``{404: 1}``.  The floor is
    asked with the staff's cookie (``stack_floor``) and without one (``stack_floor_anonymous``:
    403, or it would not be reading the login); its write likewise, with and without the
    reviewer's token (``floor_write``, ``floor_write_anonymous``).  All three servers are
    stopped before it returns.
    """
    import generate

    generate.generate(url, documents, history=3 * documents, users=300, extra_units=20, quiet=True)
    password = generate.PASSWORD
    chosen = pick(url)
    found = {}
    with servers(url) as apps:
        x_url, x_port, b_url, f_url = apps["xietong"].url, apps["xietong"].port, apps["baseline"].url, apps["floor"].url
        base_items = [("GET", f"/doc/{i}", None) for i in chosen["pages"]]
        found["baseline"] = load.python_load(b_url, base_items, requests).statuses
        cookies = {}
        for scenario, (username, path) in scenario_paths(chosen).items():
            cookie = cookies.setdefault(username, login_cookie(x_port, username, password))
            items = ([("GET", f"/documents/{i}", None) for i in chosen["pages"]] if scenario == "document_page"
                     else [("GET", path, None)])
            if status_of(x_port, items[0][1], cookie) == 404:
                found[scenario] = {404: 1}
                continue
            found[scenario] = load.python_load(x_url, items, requests, clients=2, headers={"Cookie": cookie}).statuses
        found["stack_floor"] = load.python_load(f_url, base_items, requests,
                                                headers={"Cookie": cookies["bench_staff"]}).statuses
        found["stack_floor_anonymous"] = load.python_load(f_url, base_items, 1).statuses
        token = api_token(x_port, "bench_reviewer", password)
        writes = [("POST", f"/api/doc/{i}", None) for i in chosen["pages"]]
        found["floor_write"] = load.python_load(f_url, writes, requests, clients=2,
                                                headers={"Authorization": f"Bearer {token}"}).statuses
        found["floor_write_anonymous"] = load.python_load(f_url, writes, 1).statuses
        body = json.dumps({"comment": "同意"}, ensure_ascii=True)
        items = [("POST", f"/api/documents/{i}/@workflow/{t}", body) for i, t in chosen["pairs"][:requests]]
        found["transitions"] = load.python_load(
            x_url, items, requests, clients=2, distinct=True,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}).statuses
    return found


# -- the table -------------------------------------------------------------------------------------

def verdict(row: Row, base: load.Result, db: str) -> str:
    if row.scenario not in TARGETS or row.result is None:
        if row.scenario == "memory":
            return "yes" if row.extra["growth"] <= 0.05 else "NO"
        return ""
    kind, goal = TARGETS[row.scenario]
    if kind == "ratio":
        return "yes" if row.result.rps / base.rps >= goal else "NO"
    if kind == "p50":
        return "yes" if row.result.p50_ms <= goal else "NO"
    return "yes" if row.result.rps >= goal[db] and row.note.startswith("zero") else "NO"


def table(db: str, rows: list[Row]) -> str:
    base = rows[0].result
    lines = [f"{db}:", f"{'scenario':<15}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}"
             f"{'SQL/req':>9}{'target':>8}  note"]
    for row in rows:
        r = row.result
        if r is None:
            figures = f"{'-':>9}{'-':>9}{'-':>9}{'-':>8}{'-':>8}"
        else:
            ratio = f"{r.rps / base.rps:.2f}" if row.scenario not in ("baseline", "floor_write", "transitions") else "-"
            figures = f"{r.rps:>9.1f}{r.p50_ms:>9.1f}{r.p99_ms:>9.1f}{r.errors:>8}{ratio:>8}"
        sql = "-" if row.sql is None else str(row.sql)
        lines.append(f"{row.scenario:<15}{figures}{sql:>9}{verdict(row, base, db):>8}  {row.note}")
    return "\n".join(lines)


def ratios(rows: list[Row]) -> dict[str, float]:
    base = rows[0].result.rps
    found = {r.scenario: r.result.rps / base for r in rows if r.result is not None}
    return {"document_page": found.get("document_page", 0.0), "listing": found.get("listing", 0.0)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--pg-server", default=os.environ.get("XIETONG_BENCH_PG",
                                                              "postgresql+psycopg://postgres@127.0.0.1:5432"))
    parser.add_argument("--pg-database", default=None, help="default: xietong_bench_<documents>")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if not load.have_wrk():
        raise SystemExit("wrk is missing: apt-get install wrk")
    dbs = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results = {db: run_database(args, db) for db in dbs}
    for db, rows in results.items():
        print(table(db, rows))
        print()
    if args.json:
        args.json.write_text(json.dumps({db: [{**asdict(r), "rps": r.result.rps if r.result else None}
                                              for r in rows] for db, rows in results.items()},
                                        ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    final = {k: min(ratios(rows)[k] for rows in results.values()) for k in ("document_page", "listing")}
    print(f"ratio document_page={final['document_page']:.2f} listing={final['listing']:.2f}")


if __name__ == "__main__":
    main()
