"""Micro-benchmark of :func:`xietong.services.search.search` on 100k short Chinese documents.

Run (from the project root; never against development.ini's settings — no app, no toolbar here)::

    /work/venv/bin/python bench/search.py                                  # SQLite in var/bench-search.sqlite
    /work/venv/bin/python bench/search.py --url postgresql+psycopg://postgres@127.0.0.1:5432/DB

The database is rebuilt (SQLite: the file is replaced; PostgreSQL: schema ``public`` is
DROPPED) unless ``--reuse``; give it a database of its own.  ``--docs`` sets the size.
Each figure is the best of ``--repeat`` runs of the whole ``search()`` (the page of 20 ids
with the total as a window count, then loading them with their subclass columns), in
milliseconds, on a warm cache.

Measured on the development container (SQLite 3.40.1, PostgreSQL 15.20; 2 vCPUs shared with other
test runs, load average 4–7, so absolute figures are high and jittery — compare within a
column; 100 000 filings of 20–60 characters over 24 units, random states).  "staff" is a
unit's clerk (the permission clause has unit / owner / local-role conditions), "reviewer"
sees most states outright.  Best of 21, ms, whole ``search()``::

    query                     hits staff/rev.*  SQLite staff  rev.   PostgreSQL staff  rev.
    监            (1 char)     15405 / 27206         65.6   61.1              94.1   69.1
    鑫            (1, none)        0 / 0             31.3   29.5              52.5   42.2
    政务          (2)          15307 / 27068         66.4   63.1              80.2   86.5
    整改          (2)          10521 / 18790         57.6   51.9              97.5   54.9
    备案          (2)          10765 / 19113         58.0   82.6              91.3   90.2
    公安局        (3, none)        0 / 0              2.4    0.8               5.3    2.5
    黟县公安      (4, rare)      244 / 405           12.2    5.5              10.7    9.5
    视频监控      (4)          10184 / 18019         64.9   50.2              41.5   28.8
    政务服务网    (5)           3741 / 6537          39.6   32.2              27.2   19.5
    资源目录编制  (6)           6921 / 12201         44.2   50.6              32.0   35.1
    监控 运维     (2 + 2)       1803 / 3259          44.3   40.7              81.1   45.9
    整改 资金     (2 + 2)       1154 / 2076          49.9   39.7              79.5   88.2
    数据共享交换平台 黄山区      362 / 663           11.1    9.2              15.5    9.6
    不存在的长词  (6, none)        0 / 0              2.7    1.0               4.3    1.4
    * in the SQLite run; PostgreSQL's differ by < 2 % (units and users get other ids there)

Reading: 1–2 character terms pay the scan of ``nodes`` (SQLite ~30 ms, PostgreSQL ~45 ms
here with nothing found) plus the permission clause, title test, window count and top-20
sort over every hit (another ~30 ms at 15–27k hits).  3+ characters answer from the trigram
index in 1–15 ms when hits are few; a very common long term (10–18k hits) costs about the
same as a scan, spent on the hits, not on the index.

PostgreSQL only — reviewer, one connection, after 15 warm-up runs of the same statement::

    query        shipped   psycopg prepares (generic plan)   ILIKE for every term
    政务            78.6        143.8                              131.0
    整改            50.2        141.4                              172.0
    监              67.6        179.2                              177.1
    视频监控        47.2         31.7                               80.3
    监控 运维       69.2        173.2                              205.7

"shipped" is ``search()`` as it is: statements never prepared (``unprepared``), ``LIKE`` for
terms without letter case.  Letting psycopg prepare (threshold 5, then PostgreSQL's generic
plan) made short patterns 2–3x slower, as DESIGN.md says; ILIKE on every term as much.
"""
import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from xietong.db import make_engine, write_engine
from xietong.models import Filing, Node, Unit, User
from xietong.services import search as search_service
from xietong.services.seed import load_units
from xietong.services.users import create_user
from xietong.startup import DEFAULT_WORKFLOWS
from xietong.workflow import load_or_fail

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import reset  # noqa: E402  (an empty database at the newest migration)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = f"sqlite:///{ROOT / 'var' / 'bench-search.sqlite'}"
PASSWORD = "bench-password-not-secret"

PLACES = ["市", "区", "县", "黄山区", "徽州区", "屯溪区", "歙县", "休宁县", "黟县", "祁门县"]
SUBJECTS = ["政务", "公安", "交通", "教育", "卫生", "民政", "财政", "税务", "环保", "水利", "农业", "旅游",
            "市场监管", "人社", "住建", "自然资源", "应急", "统计", "审计", "档案"]
THINGS = ["信息系统", "视频监控平台", "数据共享交换平台", "电子政务外网", "政务服务网", "办公自动化系统",
          "资源目录", "数据中心", "云平台", "门户网站", "业务系统", "监管平台", "审批系统", "指挥中心"]
ACTIONS = ["运维", "建设", "升级改造", "整合", "迁移上云", "安全加固", "等级保护测评", "备案", "整改",
           "验收", "采购", "扩容"]
PHRASES = ["按照实施方案要求", "完成数据资源目录编制", "接入电子政务外网", "年度运维经费", "开展安全检查",
           "落实整改措施", "推进共建共享", "避免重复建设", "纳入统一平台", "实现信息互联互通",
           "清理僵尸系统", "资金审批", "报市信息办备案", "视频监控前端点位", "数据交换共享"]

QUERIES = ["监", "鑫", "政务", "整改", "备案", "僵尸", "公安局", "黟县公安", "视频监控", "政务服务网", "资源目录编制",
           "监控 运维", "整改 资金", "数据共享交换平台 黄山区", "不存在的长词"]
STATES = ["draft", "submitted", "reviewed", "approved", "funding_blocked", "returned"]


def rebuild(url: str, docs: int, seed: int = 7) -> None:
    reset(url)
    engine = make_engine(url)
    with Session(bind=write_engine(engine)) as session:
        load_units(session)
        session.flush()
        codes = list(session.scalars(select(Unit.code).order_by(Unit.id)))
        create_user(session, None, {"username": "bench_staff", "display_name": "staff", "unit": "gonganju",
                                    "unit_role": "staff", "roles": [], "password": PASSWORD})
        create_user(session, None, {"username": "bench_reviewer", "display_name": "reviewer", "unit": "xinxiban",
                                    "unit_role": "staff", "roles": ["reviewer"], "password": PASSWORD})
        session.commit()
        units = {code: id_ for code, id_ in session.execute(select(Unit.code, Unit.id))}
        owners = list(session.scalars(select(User.id)))
    rng = random.Random(seed)
    start = datetime(2017, 1, 1, tzinfo=timezone.utc)
    unit_ids = [units[c] for c in codes]
    batch_nodes, batch_filings = [], []

    def flush(conn):
        conn.execute(insert(Node.__table__), batch_nodes)
        conn.execute(insert(Filing.__table__), batch_filings)
        batch_nodes.clear()
        batch_filings.clear()

    with write_engine(engine).begin() as conn:
        for i in range(1, docs + 1):
            title = f"{rng.choice(PLACES)}{rng.choice(SUBJECTS)}{rng.choice(THINGS)}{rng.choice(ACTIONS)}"
            description = "，".join(rng.sample(PHRASES, rng.randint(1, 3)))
            when = start + timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
            batch_nodes.append({
                "id": i, "name": f"b-{i}", "path": f"/bench/{i}/", "type": "filing", "title": title,
                "owner_id": rng.choice(owners), "unit_id": rng.choice(unit_ids), "workflow_id": "filing",
                "state": rng.choice(STATES), "version": 1, "created_at": when, "modified_at": when,
                "search_text": f"{title}\n{description}"})
            batch_filings.append({
                "id": i, "year": when.year, "project_type": "om", "funding_kind": "om", "amount_cents": 100,
                "funding_source": "municipal", "build_mode": "government", "description": description,
                "network": "extranet", "connected_to_exchange": True, "catalogued": True,
                "duplicates_existing": False})
            if len(batch_nodes) >= 5000:
                flush(conn)
        if batch_nodes:
            flush(conn)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def timed(fn, repeat: int) -> float:
    """The best of ``repeat`` runs in ms (as timeit: on a shared machine the minimum is the stable figure)."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return min(runs)


def measure(url: str, repeat: int) -> None:
    engine = make_engine(url)
    workflows = load_or_fail(DEFAULT_WORKFLOWS)
    dialect = engine.dialect.name
    with Session(bind=engine) as session:
        people = {name: session.scalar(select(User).where(User.username == f"bench_{name}"))
                  for name in ("staff", "reviewer")}
        print(f"{dialect}, {session.scalar(select(Node.id).order_by(Node.id.desc()).limit(1))} documents, "
              f"best of {repeat} runs, ms")
        print(f"{'query':<26}{'hits(staff)':>12}{'staff':>9}{'hits(rev.)':>12}{'reviewer':>10}")
        for q in QUERIES:
            row = [f"{q:<26}"]
            for who in ("staff", "reviewer"):
                page = search_service.search(session, workflows, people[who], q)
                ms = timed(lambda: search_service.search(session, workflows, people[who], q), repeat)
                row.append(f"{page.total:>12}{ms:>{9 if who == 'staff' else 10}.1f}")
            print("".join(row))
            session.rollback()
        if dialect == "postgresql":
            compare_postgresql(session, workflows, people["reviewer"], repeat)
    engine.dispose()


def compare_postgresql(session, workflows, user, repeat: int) -> None:
    """As shipped (unprepared, LIKE for Chinese) vs psycopg's automatic preparing vs ILIKE for every term."""
    real_unprepared, real_contains = search_service.unprepared, search_service._contains

    def run(q):
        return lambda: search_service.search(session, workflows, user, q)

    print("\nPostgreSQL: reviewer, after 15 warm-up runs on one connection")
    print(f"{'query':<26}{'shipped':>12}{'prepared':>10}{'ILIKE':>8}")
    for q in ("政务", "整改", "监", "视频监控", "监控 运维"):
        timed(run(q), 15)
        unprepared_ms = timed(run(q), repeat)
        search_service.unprepared = _no_op
        try:
            timed(run(q), 15)
            prepared_ms = timed(run(q), repeat)
        finally:
            search_service.unprepared = real_unprepared
        search_service._contains = lambda column_, term, dialect: column_.ilike(
            search_service.like_pattern(term), escape=search_service.ESCAPE)
        try:
            ilike_ms = timed(run(q), repeat)
        finally:
            search_service._contains = real_contains
        print(f"{q:<26}{unprepared_ms:>12.1f}{prepared_ms:>10.1f}{ilike_ms:>8.1f}")
        session.rollback()


class _no_op:
    def __init__(self, session):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("XIETONG_BENCH_DB", DEFAULT_URL))
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="measure the existing database")
    args = parser.parse_args(argv)
    if not args.reuse:
        started = time.perf_counter()
        rebuild(args.url, args.docs)
        print(f"built {args.docs} documents in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    measure(args.url, args.repeat)


if __name__ == "__main__":
    main()
