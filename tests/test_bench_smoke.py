"""A smoke run of the benchmark suite (bench/run.py) at 1k documents: every scenario answers.

Not a benchmark — one short pass of each scenario with the Python load generator,
checking only the statuses (the dashboard may not exist yet: 404), and that the stack's floor
(bench/floor.py) refuses a request without a login or a token.  The figures are
``python bench/run.py``'s job (docs/PERFORMANCE.md).  The three gunicorn servers bind
127.0.0.1 and are stopped by ``run.smoke`` before it returns.
"""
import importlib
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def bench_module(name):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


def test_every_scenario_answers(fresh_db_url):
    run = bench_module("run")
    found = run.smoke(fresh_db_url, documents=1000, requests=6)
    assert set(found) == {"baseline", "document_page", "worklist", "listing", "search_2", "search_3", "search_5",
                          "dashboard", "transitions", "stack_floor", "stack_floor_anonymous", "floor_write",
                          "floor_write_anonymous"}
    # the floor really reads the login and the token
    assert found.pop("stack_floor_anonymous") == {403: 1} and found.pop("floor_write_anonymous") == {403: 1}
    for scenario, statuses in found.items():
        if scenario == "dashboard" and statuses == {404: 1}:
            continue  # not built yet on this branch
        assert statuses and all(200 <= status < 300 for status in statuses), (scenario, statuses)
    assert sum(found["transitions"].values()) == 6


def test_generated_history_verifies(tmp_path):
    """The generator's rows are what the app writes: the hash chains verify."""
    from sqlalchemy.orm import Session

    from xietong.db import make_engine
    from xietong.services.history import verify_history

    generate = bench_module("generate")
    url = f"sqlite:///{tmp_path / 'g.sqlite'}"
    stats = generate.generate(url, documents=200, history=1000, users=120, extra_units=10, quiet=True)
    engine = make_engine(url)
    with Session(engine) as session:
        checked, broken = verify_history(session)
    engine.dispose()
    assert broken is None and checked == stats["history"] > 200


def test_generated_city_has_the_key_task_documents(tmp_path):
    """The seed's 17 tasks with their units' roles and milestones, progress reports under them,
    annual and aggregate reports; reproducible; statistics kept (SQLite's ANALYZE committed)."""
    from sqlalchemy import text

    from xietong.db import make_engine

    generate = bench_module("generate")
    url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    stats = generate.generate(url, documents=1500, history=4000, users=150, extra_units=10, quiet=True)
    assert stats["key_task"] == 17 and stats["aggregate_report"] == 9
    assert stats["progress_report"] > 0 and stats["annual_report"] > 0
    engine = make_engine(url)
    with engine.connect() as conn:
        q = conn.scalar
        assert q(text("SELECT count(*) FROM nodes")) == sum(v for k, v in stats.items()
                                                          if k not in ("history", "units", "users", "seconds")
                                                          and not k.startswith("skipped_"))
        assert q(text("SELECT count(DISTINCT node_id) FROM local_roles WHERE role = 'lead' AND node_id IN "
                      "(SELECT id FROM key_tasks)")) == 17
        assert q(text("SELECT count(*) FROM milestones")) > 0
        # every progress report is a child of its task, and one annual report per unit and year
        assert q(text("SELECT count(*) FROM progress_reports p JOIN nodes n ON n.id = p.id "
                      "WHERE n.parent_id IS NOT p.task_id")) == 0
        assert q(text("SELECT count(*) FROM (SELECT n.unit_id, a.year FROM annual_reports a JOIN nodes n "
                      "ON n.id = a.id GROUP BY 1, 2 HAVING count(*) > 1) AS doubled")) == 0
        assert q(text("SELECT count(*) FROM sqlite_stat1")) > 0
        first = list(conn.execute(text("SELECT id, state, title FROM nodes ORDER BY id")))
    engine.dispose()
    again = f"sqlite:///{tmp_path / 'k2.sqlite'}"
    generate.generate(again, documents=1500, history=4000, users=150, extra_units=10, quiet=True)
    engine = make_engine(again)
    with engine.connect() as conn:
        assert list(conn.execute(text("SELECT id, state, title FROM nodes ORDER BY id"))) == first
    engine.dispose()
