"""The workflow commands of ``xietong``: check-workflows, remap-states, verify-history, sweep."""
from pathlib import Path
import shutil

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from xietong.db import make_engine, write_engine
from xietong.models import HistoryEntry, Node
from xietong.testing import TEST_USERS, get_user, make_note, migrate, populate
from tests.test_cli import run

PROJECT = Path(__file__).resolve().parents[1]


def test_check_workflows_reports_every_error_and_exits_1(fresh_db_url, tmp_path):
    (tmp_path / "a.yaml").write_text("id: a\ntitle: A\nversion: 1\ninitial: x\nstates: {}\ntransitions: []\n", "utf-8")
    (tmp_path / "b.yaml").write_text("id: [broken\n", "utf-8")
    result = run(fresh_db_url, "check-workflows", str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path / 'a.yaml'}: states:" in result.stdout and "should be non-empty" in result.stdout
    assert f"{tmp_path / 'b.yaml'}: line " in result.stdout and "2 处错误" in result.stdout


def test_check_workflows_passes_on_the_project(fresh_db_url):
    result = run(fresh_db_url, "check-workflows")
    assert result.returncode == 0 and "filing" in result.stdout


def test_orphaned_documents_are_reported_and_remapped(fresh_db_url, review_workflows, tmp_path):
    migrate(fresh_db_url)
    populate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    with Session(bind=write_engine(engine)) as session:
        note = make_note(session, review_workflows, get_user(session, TEST_USERS["staff"][0]))
        session.commit()
        note_id = note.id
        # an administrator deleted the state "limbo" from the file while a document sat in it
        session.execute(update(Node).where(Node.id == note_id).values(state="limbo"))
        session.commit()
    folder = tmp_path / "workflows"
    shutil.copytree(PROJECT / "tests" / "workflows", folder)
    env = {"XIETONG_WORKFLOWS": str(folder)}

    check = run(fresh_db_url, "check-workflows", env=env)
    assert check.returncode == 1 and "'review' in state 'limbo'" in check.stdout
    assert "xietong remap-states review limbo NEW" in check.stdout

    assert run(fresh_db_url, "remap-states", "review", "limbo", "nowhere", env=env).returncode == 2
    moved = run(fresh_db_url, "remap-states", "review", "limbo", "draft", env=env)
    assert moved.returncode == 0 and "1" in moved.stdout
    assert run(fresh_db_url, "check-workflows", env=env).returncode == 0

    with Session(bind=engine) as session:
        rows = session.execute(text("SELECT transition, from_state, to_state FROM history WHERE node_id = :id "
                                    "ORDER BY id"), {"id": note_id}).all()
        assert rows[-1] == ("remap_states", "limbo", "draft")
        assert session.get(Node, note_id).state == "draft"

    verified = run(fresh_db_url, "verify-history", env=env)
    assert verified.returncode == 0 and "2 rows" in verified.stdout
    with Session(bind=write_engine(engine)) as session:
        session.execute(update(HistoryEntry).where(HistoryEntry.node_id == note_id, HistoryEntry.from_state.is_(None))
                        .values(comment="rewritten"))
        session.commit()
    tampered = run(fresh_db_url, "verify-history", env=env)
    assert tampered.returncode == 1 and f"document {note_id}" in tampered.stdout
    engine.dispose()


def test_sweep_runs_on_an_empty_database(fresh_db_url):
    assert run(fresh_db_url, "init-db").returncode == 0
    first = run(fresh_db_url, "sweep")
    assert first.returncode == 0 and "overdue 0" in first.stdout
    assert run(fresh_db_url, "sweep", "--now", "not-a-time").returncode == 2


def test_commands_refuse_an_unmigrated_database(fresh_db_url):
    refused = run(fresh_db_url, "verify-history")
    assert refused.returncode == 2 and "xietong init-db" in refused.stderr
