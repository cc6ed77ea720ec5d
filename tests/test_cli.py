"""The ``xietong`` command, run as a user runs it: a subprocess with XIETONG_DB_URL."""
import os
from pathlib import Path
import subprocess
import sys

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xietong.db import make_engine
from xietong.migrate import alembic_config, head_revision
from xietong.models import AuditEntry, Unit, User

PROJECT = Path(__file__).resolve().parents[1]


def run(db_url, *args, env=None):
    environment = dict(os.environ, XIETONG_DB_URL=db_url, **(env or {}))
    return subprocess.run([sys.executable, "-m", "xietong.cli", *args], cwd=PROJECT, env=environment,
                          capture_output=True, text=True, timeout=120)


def count(db_url, model):
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(model))
    finally:
        engine.dispose()


@pytest.fixture
def seeded(fresh_db_url):
    assert run(fresh_db_url, "init-db").returncode == 0
    assert run(fresh_db_url, "load-seed").returncode == 0
    return fresh_db_url


def test_init_db_then_seed_twice_then_demo_twice(fresh_db_url):
    first = run(fresh_db_url, "init-db")
    head = head_revision(alembic_config(None))
    assert first.returncode == 0 and f"-> {head}" in first.stdout
    assert "已是最新版本" in run(fresh_db_url, "init-db").stdout
    assert "新建 23" in run(fresh_db_url, "load-seed").stdout
    assert "新建 0, 更新 0" in run(fresh_db_url, "load-seed").stdout
    assert count(fresh_db_url, Unit) == 23
    demo = run(fresh_db_url, "demo")
    assert demo.returncode == 0 and "gaj_head" in demo.stdout and "xietong-demo" in demo.stdout
    assert "已存在" in run(fresh_db_url, "demo").stdout
    assert count(fresh_db_url, User) == 7


def test_create_user(seeded):
    done = run(seeded, "create-user", "chen.liu", "--unit", "gonganju", "--unit-role", "head",
               "--role", "auditor", env={"XIETONG_PASSWORD": "a-good-password"})
    assert done.returncode == 0, done.stderr
    assert "chen.liu" in done.stdout
    assert count(seeded, User) == 1 and count(seeded, AuditEntry) > 0


@pytest.mark.parametrize("args,message", [
    (["create-user", "x.y", "--unit", "nowhere", "--password", "a-good-password"], "unit"),
    (["create-user", "Bad Name", "--unit", "gonganju", "--password", "a-good-password"], "username"),
    (["create-user", "x.y", "--unit", "gonganju", "--password", "short"], "password"),
    (["create-user", "x.y", "--unit", "gonganju", "--role", "king", "--password", "a-good-password"], "roles"),
    (["create-user", "x.y", "--unit", "gonganju"], "XIETONG_PASSWORD"),
])
def test_bad_input_exits_2_with_one_line(seeded, args, message):
    result = run(seeded, *args)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert count(seeded, User) == 0  # nothing half-written


def test_duplicate_username_exits_2(seeded):
    ok = run(seeded, "create-user", "x.y", "--unit", "gonganju", "--password", "a-good-password")
    assert ok.returncode == 0
    again = run(seeded, "create-user", "x.y", "--unit", "gonganju", "--password", "a-good-password")
    assert again.returncode == 2 and "已被占用" in again.stderr
    assert count(seeded, User) == 1


def test_usage_errors_exit_2(fresh_db_url):
    assert run(fresh_db_url, "no-such-command").returncode == 2
    assert run(fresh_db_url, "init-db", "--bogus").returncode == 2
    missing = run(fresh_db_url, "init-db", "-c", "missing.ini")
    assert missing.returncode == 2 and "missing.ini" in missing.stderr
