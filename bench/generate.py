"""Fill a database with a realistic, reproducible city: units, people, documents, history.

Run (from the project root; the database is created or emptied first)::

    python bench/generate.py --url sqlite:///var/bench-100000.sqlite --documents 100000
    python bench/generate.py --url postgresql+psycopg://postgres@127.0.0.1:5432/xt7_bench --documents 100000

What it makes (``--seed`` fixes every choice; the same arguments give the same rows)
    * the seed's units (through the app's own loader) plus ``--extra-units`` (300) more:
      bureaus of the districts and counties, towns and their service stations;
    * ``--users`` (3,000) people with one real argon2 hash of :data:`PASSWORD`, computed
      once and reused: every unit a head and staff, reviewers at the information office,
      finance officers, auditors, leaders; the fixed accounts of :data:`BENCH_USERS`;
    * ``--documents`` documents of the types in :data:`corpus.TYPES`, in its state
      proportions, each with its joined-table row, a unique ``nodes.path`` built as
      ``services.content.create`` builds it, ``search_text`` as ``content._apply`` fills
      it, a rectification order's ``contributor`` local role, a plan's items; the seed's
      17 key tasks (lead and cooperating units expanded as ``xietong load-seed`` does, their
      milestones), progress reports under them, one annual report per reporting unit and
      year (some missing) and one aggregate report per year (``corpus.TYPES`` says how);
    * about ``--history`` (10 per document) history rows: for each document a walk
      through its workflow from the initial state to its drawn state (detours through
      ``returned`` and the like make up the length), each row by a person holding the
      transition's role, hash-chained exactly as ``services.history.append`` chains them
      (``xietong verify-history`` passes);
    * attachments' metadata (and a few bytes of content) on a fifth of the documents.

Speed: rows are built in Python and written in batches — PostgreSQL with ``COPY``,
SQLite with ``executemany`` in one transaction — never through the ORM one by one.
The search indexes stay consistent: SQLite's FTS5 triggers fill ``search_fts`` as the
nodes go in (then ``optimize``); PostgreSQL maintains its ``pg_trgm`` index.  Finally
the id sequences are moved past the explicit ids (PostgreSQL) and both databases are
``ANALYZE``\\ d.  100k documents and 1M history rows take a few minutes on 2 cores.
"""
import argparse
import hashlib
import json
import random
import sys
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402

from xietong.db import make_engine, write_engine  # noqa: E402
from xietong.migrate import alembic_config, upgrade  # noqa: E402
from xietong.models import Base, Unit  # noqa: E402
from xietong.passwords import hash_password  # noqa: E402
from xietong.services import content  # noqa: E402
from xietong.services.history import canonical  # noqa: E402
from xietong.services.seed import load_units  # noqa: E402
from xietong.services.workflow import deadline_for  # noqa: E402
from xietong.startup import DEFAULT_WORKFLOWS  # noqa: E402
from xietong.workflow import load_or_fail  # noqa: E402

PASSWORD = "bench-password-not-secret"
BATCH = 2000
#: walks end early (a draft has one row, parity on cycles): aim this much longer to reach --history
HISTORY_STRETCH = 1.3
START = datetime(2017, 1, 1, tzinfo=timezone.utc)
SPAN_MINUTES = 9 * 365 * 24 * 60

#: accounts the benchmark logs in with: username -> (unit code, unit role, global roles)
BENCH_USERS = {
    "bench_staff": ("gonganju", "staff", []),
    "bench_head": ("gonganju", "head", []),
    "bench_reviewer": ("xinxiban", "staff", ["reviewer"]),
    "bench_finance": ("caizhengju", "staff", ["finance"]),
    "bench_auditor": ("shenjiju", "staff", ["auditor"]),
    "bench_leader": ("lingdaoxiaozu", "staff", ["leader"]),
    "bench_admin": ("xinxiban", None, ["admin"]),
}
#: extra holders of global roles: role -> (unit code, how many)
ROLE_HOLDERS = {"reviewer": ("xinxiban", 20), "finance": ("caizhengju", 10), "auditor": ("shenjiju", 10),
                "leader": ("lingdaoxiaozu", 10)}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董汪程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红"


# -- the city ---------------------------------------------------------------------------------------

@dataclass
class City:
    """What the document builders need to know: units, people, who holds which role."""

    units_by_id: dict = field(default_factory=dict)
    unit_ids: list = field(default_factory=list)
    unit_weights: list = field(default_factory=list)
    users: dict = field(default_factory=dict)  # id -> SimpleNamespace(id, unit_id, unit_role, roles)
    staff_by_unit: dict = field(default_factory=lambda: defaultdict(list))
    holders: dict = field(default_factory=lambda: defaultdict(list))  # global role -> user ids
    systems_by_unit: dict = field(default_factory=lambda: defaultdict(list))
    tasks: dict = field(default_factory=dict)  # key task id -> its units, state and life (corpus._task)
    next_ids: dict = field(default_factory=lambda: defaultdict(int))  # explicit ids of extra rows


#: the creator of what nobody creates by hand (the seed's key tasks): services.workflow.SYSTEM
SYSTEM_ACTOR = SimpleNamespace(id=None, unit_id=None, unit_role=None, roles=frozenset())


def _url_name(unit) -> str:
    return f"{unit.division_code}-{unit.code}" if unit.division_code else unit.code


def add_units(conn, rng, extra: int) -> None:
    """``extra`` units under the districts, counties and the city (names unique, codes ASCII)."""
    seeded = list(conn.execute(select(Unit.id, Unit.code, Unit.short_name, Unit.kind)).all())
    parents = [u for u in seeded if u.kind in ("district", "county")] or seeded
    next_id = max(u.id for u in seeded) + 1
    rows, names = [], set()
    for i in range(extra):
        parent = parents[i % len(parents)]
        while True:
            if i % 3 == 2:
                name = f"{parent.short_name}{rng.choice(corpus.TOWNS)}{rng.choice(['人民政府', '便民服务中心'])}"
            else:
                name = f"{parent.short_name}{rng.choice(corpus.SUBJECTS)}{rng.choice(corpus.UNIT_SUFFIXES)}"
            if name not in names:
                break
            name = f"{name}第{i}分部"
            if name not in names:
                break
        names.add(name)
        rows.append({"id": next_id + i, "parent_id": parent.id, "code": f"bench-{i + 1:04d}", "name": name,
                     "short_name": name[-20:], "kind": "department", "credit_code": None,
                     "division_code": None, "sort_order": 10_000 + i, "active": True})
    if rows:
        conn.execute(insert(Unit.__table__), rows)


def _person(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2)))


def add_users(conn, rng, count: int, city: City, password_hash: str) -> None:
    """The fixed accounts, role holders, then a head and staff for every unit up to ``count``."""
    by_code = {u.code: u for u in city.units_by_id.values()}
    specs = [(name, by_code[code].id, unit_role, roles) for name, (code, unit_role, roles) in BENCH_USERS.items()]
    for role, (code, n) in ROLE_HOLDERS.items():
        specs += [(f"u_{role}_{i:03d}", by_code[code].id, "staff", [role]) for i in range(1, n + 1)]
    units = list(city.units_by_id.values())
    specs += [(f"u_{u.code[:20]}_head", u.id, "head", []) for u in units]
    i = 0
    while len(specs) < count:
        unit = units[i % len(units)]
        specs.append((f"u_{unit.code[:20]}_{i // len(units) + 1:03d}", unit.id, "staff", []))
        i += 1
    first = (conn.scalar(text("SELECT max(id) FROM users")) or 0) + 1
    rows, role_rows = [], []
    for offset, (username, unit_id, unit_role, roles) in enumerate(specs[:max(count, len(BENCH_USERS))]):
        user_id = first + offset
        rows.append({"id": user_id, "username": username, "display_name": _person(rng), "unit_id": unit_id,
                     "unit_role": unit_role, "password_hash": password_hash, "active": True,
                     "must_change_password": False, "created_at": START, "last_login_at": None})
        role_rows += [{"user_id": user_id, "role": r} for r in roles]
        city.users[user_id] = SimpleNamespace(id=user_id, unit_id=unit_id, unit_role=unit_role,
                                              roles=frozenset(roles))
        if unit_role in ("staff", "head") and not roles:
            city.staff_by_unit[unit_id].append(user_id)
        for r in roles:
            city.holders[r].append(user_id)
    write(conn, "users", rows)
    write(conn, "user_roles", role_rows)


# -- writing rows ------------------------------------------------------------------------------------

def write(conn, table_name: str, rows: list[dict]) -> None:
    """Insert ``rows`` (all with the same keys): COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    table = Base.metadata.tables[table_name]
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table_name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


# -- workflow walks --------------------------------------------------------------------------------

def distances(definition) -> dict[str, dict[str, int]]:
    """target state -> {state: fewest transitions from it to target} (the sweeper's excluded)."""
    edges = [(s, t.dest) for t in definition.transitions if t.roles - {"system"} for s in t.sources]
    result = {}
    for target in definition.states:
        dist, frontier = {target: 0}, [target]
        while frontier:
            nxt = []
            for state in frontier:
                for source, dest in edges:
                    if dest == state and source not in dist:
                        dist[source] = dist[state] + 1
                        nxt.append(source)
            frontier = nxt
        result[target] = dist
    return result


def walk(rng, definition, dist, target: str, steps: int) -> list:
    """Transitions from the initial state to ``target``, about ``steps`` long (detours allowed)."""
    to_target = dist[target]
    state, path = definition.initial, []
    while True:
        left = steps - len(path)
        options = [t for t in definition.transitions_from(state)
                   if t.roles - {"system"} and t.dest in to_target and to_target[t.dest] <= left - 1]
        if state == target and (left <= 0 or not options):
            return path
        if not options:  # no detour fits: the shortest way
            options = [t for t in definition.transitions_from(state)
                       if t.roles - {"system"} and to_target.get(t.dest, 1e9) < to_target[state]]
        if not options:
            return path
        chosen = rng.choice(options)
        path.append(chosen)
        state = chosen.dest


ROLE_PREFERENCE = ("owner", "staff", "head", "lead", "reviewer", "finance", "auditor", "leader", "contributor")


def actor_for(rng, city: City, transition, doc: dict):
    """A user who holds one of the transition's roles on ``doc`` (None: nobody fits)."""
    for role in sorted(transition.roles, key=lambda r: ROLE_PREFERENCE.index(r) if r in ROLE_PREFERENCE else 99):
        local = doc.get("local_roles", {})
        if role == "owner":
            if doc["owner_id"] is None:
                continue
            return city.users[doc["owner_id"]]
        if role in ("staff", "head"):
            people = [u for u in city.staff_by_unit[doc["unit_id"]] if city.users[u].unit_role == role]
        elif role in local:  # lead / contributor: the people of a unit holding it on the document
            holders = sorted(u for u in local[role] if city.staff_by_unit.get(u))
            people = city.staff_by_unit[rng.choice(holders)] if holders else []
        else:
            people = city.holders.get(role, [])
        if people:
            return city.users[rng.choice(people)]
    return None


def roles_of(user, doc: dict) -> str:
    """The actor's roles on the document as ``security.roles_on`` would give them, sorted, comma-joined."""
    if user.id is None:
        return "system"
    roles = {"authenticated", *user.roles}
    if user.unit_role and user.unit_id == doc["unit_id"]:
        roles.add(user.unit_role)
    if user.id == doc["owner_id"]:
        roles.add("owner")
    roles.update(role for role, units in doc.get("local_roles", {}).items() if user.unit_id in units)
    return ",".join(sorted(roles))


def history_rows(rng, city, compiled, doc: dict, path, created_at: datetime) -> tuple[list[dict], str]:
    """The document's chained rows: creation by its owner (or the system), then each transition
    of ``path`` — a few days apart, or spread until ``doc["last_at"]`` when the builder set it."""
    definition = compiled.definition
    owner = SYSTEM_ACTOR if doc["owner_id"] is None else city.users[doc["owner_id"]]
    rows, when, state, previous = [], created_at, definition.initial, None
    steps = [(None, owner)] + [(t, actor_for(rng, city, t, doc)) for t in path]
    last_at = doc.get("last_at")
    moments = None
    if last_at is not None and last_at > created_at and len(steps) > 1:
        span = last_at - created_at
        moments = sorted(created_at + span * rng.uniform(0.02, 1.0) for _ in steps[1:])
        moments[-1] = last_at
    for number, (transition, actor) in enumerate(steps):
        if actor is None:
            break
        comment = rng.choice(corpus.COMMENTS) if transition is not None and transition.comment == "required" else ""
        row = {"node_id": doc["id"], "workflow_id": definition.id, "workflow_version": definition.version,
               "transition": transition.id if transition else None, "from_state": state if transition else None,
               "to_state": transition.dest if transition else state, "actor_id": actor.id,
               "actor_unit_id": actor.unit_id, "actor_roles": roles_of(actor, doc), "comment": comment,
               "created_at": when, "prev_hash": previous}
        row["hash"] = hashlib.sha256(canonical(SimpleNamespace(**row))).hexdigest()
        rows.append(row)
        previous, state = row["hash"], row["to_state"]
        if moments is not None and number < len(moments):
            when = max(moments[number], when + timedelta(minutes=1))
        else:
            when += timedelta(minutes=rng.randint(30, 14 * 24 * 60), microseconds=rng.randint(0, 999_999))
    return rows, state


# -- documents -------------------------------------------------------------------------------------

def _apportion(cells: list[tuple], total: int) -> list[tuple]:
    """(spec, state, weight) cells -> (spec, state, how many), adding up to ``total``."""
    weights = sum(c[2] for c in cells)
    if not cells or total <= 0 or not weights:
        return [(spec, state, 0) for spec, state, _w in cells]
    counts = [(spec, state, int(total * w / weights)) for spec, state, w in cells]
    missing = total - sum(c[2] for c in counts)
    for i in range(missing):
        spec, state, n = counts[i % len(counts)]
        counts[i % len(counts)] = (spec, state, n + 1)
    return counts


def plan_counts(specs, documents: int) -> list[tuple]:
    """(spec, state, how many) so that the counts add up to ``documents``: types with a fixed
    ``count`` first (as far as ``documents`` allows), the rest by ``share``."""
    counts, left = [], documents
    for spec in specs:
        if spec.count is not None:
            n = min(spec.count, left)
            counts += _apportion([(spec, state, w) for state, w in spec.states.items()], n)
            left -= n
    shared = [(spec, state, spec.share * w) for spec in specs if spec.count is None for state, w in spec.states.items()]
    return counts + _apportion(shared, left)


def take_slots(rng, spec, city: City, wanted: int) -> deque:
    """The places the type's documents take, in the places' own order: all, or a sample of ``wanted``."""
    places = spec.slots(rng, city)
    if len(places) > wanted:
        places = [places[i] for i in sorted(rng.sample(range(len(places)), wanted))]
    return deque(places)


def build_documents(conn, rng, city: City, workflows, documents: int, history_total: int, progress) -> dict:
    specs = [s for s in corpus.TYPES if s.name in content.TYPES and workflows.for_type(s.name) is not None]
    for s in corpus.TYPES:
        if s not in specs:
            print(f"skipped type {s.name}: the application does not know it (yet)", file=sys.stderr)
    order = [(spec, state) for spec, state, n in plan_counts(specs, documents) for _ in range(n)]
    # systems first (plans name them), key tasks before their progress reports, otherwise shuffled
    # so that ids and times do not follow type
    rng.shuffle(order)
    order.sort(key=lambda cell: (cell[0].name != "information_system", cell[0].name != "key_task"))
    wanted = defaultdict(int)
    for spec, _state in order:
        wanted[spec.name] += 1
    slots = {}
    mean_steps = max(0, history_total / max(documents, 1) - 1)
    dist = {s.name: distances(workflows.for_type(s.name).definition) for s in specs}
    by_code = {u.code: u for u in city.units_by_id.values()}
    sequence, plan_years, stats = defaultdict(int), set(), defaultdict(int)
    next_id = (conn.scalar(text("SELECT max(id) FROM nodes")) or 0) + 1
    batch = defaultdict(list)
    task = progress.add_task("documents", total=len(order))
    for spec, state in order:
        info, compiled = content.TYPES[spec.name], workflows.for_type(spec.name)
        slot = {}
        if spec.slots is not None:
            if spec.name not in slots:  # lazily: progress reports need their tasks built first
                slots[spec.name] = take_slots(rng, spec, city, wanted[spec.name])
            if not slots[spec.name]:
                stats["skipped_" + spec.name] += 1
                progress.advance(task)
                continue
            slot = slots[spec.name].popleft()
        if "unit_id" in slot:
            unit = city.units_by_id[slot["unit_id"]]
            owner_id = slot["owner_id"] if "owner_id" in slot else rng.choice(city.staff_by_unit[unit.id])
        elif spec.issuers:
            unit = by_code[rng.choice(spec.issuers)]
            owner_id = rng.choice([u for u in city.holders["reviewer" if unit.code == "xinxiban" else "leader"]])
        else:
            unit = city.units_by_id[rng.choices(city.unit_ids, city.unit_weights)[0]]
            owner_id = rng.choice(city.staff_by_unit[unit.id])
        created_at = slot.get("created_at") or START + timedelta(minutes=rng.randint(0, SPAN_MINUTES),
                                                                 microseconds=rng.randint(0, 999_999))
        year = slot.get("year", created_at.year)
        if spec.one_per_unit_year:
            free = [y for y in range(2017, 2027) if (unit.id, y) not in plan_years]
            if not free:
                stats["skipped_" + spec.name] += 1
                progress.advance(task)
                continue
            year = rng.choice(free)
            plan_years.add((unit.id, year))
        doc = {"id": next_id, "unit_id": unit.id, "owner_id": owner_id, "year": year, "created_at": created_at,
               "state": state, "slot": slot}
        row = spec.build(rng, city, doc)
        extra = row.pop("_extra", {})
        node = row.pop("_node", {})
        steps = round(rng.uniform(0.5, 1.5) * mean_steps * HISTORY_STRETCH)
        if spec.max_steps is not None:
            steps = min(steps, spec.max_steps)
        path = walk(rng, compiled.definition, dist[spec.name], state, steps)
        rows, reached = history_rows(rng, city, compiled, doc, path, created_at)
        # numbered per unit and year, as services.content names documents; children of a task
        # (progress reports of several units) per year, so that a name is unique under its parent
        key = (spec.name, "children" if node.get("parent_id") else unit.id, year)
        sequence[key] += 1
        name = node.get("name") or f"{year}-{sequence[key]:03d}"
        node_title = node.get("title") or corpus.title(rng)
        parts = [node_title] + [str(row.get(f) or "") for f in info.text_fields]
        # the deadline of the state reached, as services.workflow sets it on entering the state
        due_at = deadline_for(compiled.definition.states[reached], SimpleNamespace(**row), rows[-1]["created_at"])
        batch["nodes"].append({
            "id": next_id, "parent_id": node.get("parent_id"), "name": name,
            "path": node.get("path") or f"/units/{_url_name(unit)}/{info.folder}/{name}/",
            "type": spec.name, "title": node_title, "owner_id": owner_id, "unit_id": unit.id,
            "workflow_id": compiled.id, "state": reached, "version": len(rows), "created_at": created_at,
            "modified_at": rows[-1]["created_at"],
            "due_at": due_at, "trashed_at": None, "search_text": "\n".join(p for p in parts if p)})
        batch[info.model.__tablename__].append({"id": next_id, **row})
        batch["history"].extend(rows)
        for table_name, extra_rows in extra.items():
            batch[table_name].extend(extra_rows)
        for role, units in sorted(doc.get("local_roles", {}).items()):
            batch["local_roles"].extend({"node_id": next_id, "unit_id": u, "user_id": None, "role": role}
                                        for u in sorted(units))
        if spec.name == "information_system":
            city.systems_by_unit[unit.id].append(next_id)
        if rng.random() < 0.2:
            batch["attachments"] += attachments(rng, next_id, node_title, owner_id, created_at)
        stats[spec.name] += 1
        stats["history"] += len(rows)
        next_id += 1
        if len(batch["nodes"]) >= BATCH:
            flush(conn, batch)
        progress.advance(task)
    flush(conn, batch)
    return dict(stats)


def attachments(rng, node_id, node_title, owner_id, when) -> list[dict]:
    rows = []
    for n in range(rng.randint(1, 2)):
        data = f"%PDF-1.4\n% xietong bench attachment {node_id}-{n}\n".encode()
        rows.append({"node_id": node_id, "filename": f"{node_title[:30]}-{n + 1}.pdf", "content_type": "application/pdf",
                     "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "data": data,
                     "uploaded_by_id": owner_id, "created_at": when, "trashed_at": None})
    return rows


FLUSH_ORDER = ("nodes", "information_systems", "filings", "integration_plans", "rectification_orders",
               "key_tasks", "progress_reports", "annual_reports", "aggregate_reports", "plan_items", "milestones",
               "delay_requests", "local_roles", "attachments", "history")


def flush(conn, batch) -> None:
    for table_name in list(FLUSH_ORDER) + sorted(set(batch) - set(FLUSH_ORDER)):
        write(conn, table_name, batch.pop(table_name, []))


# -- the whole run ---------------------------------------------------------------------------------

def reset(url: str) -> None:
    """An empty database at the newest migration (SQLite: a new file; PostgreSQL: schema public dropped)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
    else:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(alembic_config(None, url=url))


def finish(conn) -> None:
    if conn.dialect.name == "postgresql":
        for table in Base.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement is not False:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                  f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"))
    else:
        conn.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))


def generate(url: str, documents: int = 100_000, history: int | None = None, users: int = 3000,
             extra_units: int = 300, seed: int = 7, quiet: bool = False) -> dict:
    """Rebuild the database at ``url`` and fill it; returns counts per kind of row."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    history = 10 * documents if history is None else history
    started = time.perf_counter()
    rng = random.Random(seed)
    reset(url)
    engine = make_engine(url)
    with Session(bind=write_engine(engine)) as session:
        load_units(session)
        session.commit()
    workflows = load_or_fail(DEFAULT_WORKFLOWS)
    password_hash = hash_password(PASSWORD)
    city = City()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with write_engine(engine).begin() as conn, Progress(*columns, disable=quiet) as progress:
        add_units(conn, rng, extra_units)
        for unit in conn.execute(select(Unit)).all():
            u = SimpleNamespace(id=unit.id, code=unit.code, division_code=unit.division_code, kind=unit.kind,
                                short_name=unit.short_name, sort_order=unit.sort_order, active=unit.active)
            city.units_by_id[u.id] = u
            city.unit_ids.append(u.id)
            city.unit_weights.append(1 if u.code.startswith("bench-") else 4)
        add_users(conn, rng, users, city, password_hash)
        stats = build_documents(conn, rng, city, workflows, documents, history, progress)
        finish(conn)
    # PostgreSQL: VACUUM too, so that index-only scans see an all-visible table at once (outside a
    # transaction).  SQLite: in a committed transaction — the engine's "begin" listener opens one
    # even under AUTOCOMMIT, and an ANALYZE left in it was rolled back (no sqlite_stat1 at all)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with write_engine(engine).begin() as conn:
            conn.execute(text("ANALYZE"))
    with engine.connect() as conn:
        stats["units"] = conn.scalar(select(func.count()).select_from(Unit))
        stats["users"] = len(city.users)
    engine.dispose()
    stats["seconds"] = round(time.perf_counter() - started, 1)
    return stats


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="the database to (re)build; all its data is replaced")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=None, help="history rows (default 10 per document)")
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--extra-units", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    stats = generate(args.url, args.documents, args.history, args.users, args.extra_units, args.seed)
    print(json.dumps(stats, ensure_ascii=False))


if __name__ == "__main__":
    main()
