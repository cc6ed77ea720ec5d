"""Twenty requests fire at one document at once: exactly one wins, one history row is written.

Real threads, real connections, committed transactions — on SQLite (BEGIN IMMEDIATE
serialises writers) and on PostgreSQL (SELECT ... FOR UPDATE serialises the row).
"""
from collections import Counter
import threading

from sqlalchemy.orm import Session

from xietong.db import make_engine, write_engine
from xietong.services import history
from xietong.services.workflow import Actor, TransitionConflict, fire
from xietong.testing import TEST_USERS, get_user, make_note, migrate, populate

CLIENTS = 20


def test_twenty_concurrent_fires_one_wins(fresh_db_url, review_workflows):
    migrate(fresh_db_url)
    populate(fresh_db_url)
    engine = make_engine(fresh_db_url, pool_size=CLIENTS, max_overflow=5)
    writer = write_engine(engine)
    staff_name = TEST_USERS["staff"][0]
    with Session(bind=writer) as session:
        note = make_note(session, review_workflows, get_user(session, staff_name))
        session.commit()
        note_id = note.id

    barrier = threading.Barrier(CLIENTS)
    outcomes: list[str] = []

    def client():
        barrier.wait()  # open no transaction before every thread is ready
        with Session(bind=writer) as session:
            try:
                fire(session, review_workflows, note_id, "submit", Actor.of(get_user(session, staff_name)))
                session.commit()
                outcomes.append("won")
            except TransitionConflict:
                session.rollback()
                outcomes.append("conflict")
            except Exception as exc:  # noqa: BLE001 — any other outcome fails the test below
                session.rollback()
                outcomes.append(f"error: {exc!r}")

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(outcomes) == {"won": 1, "conflict": CLIENTS - 1}, outcomes
    with Session(bind=engine) as session:
        rows = history.entries(session, note_id)
        assert [r.transition for r in rows] == [None, "submit"]
        checked, broken = history.verify_history(session)
        assert broken is None and checked == 2
    engine.dispose()
