"""A page costs the same number of SQL statements however many rows it shows.

Counting, never timing (speed lives in ``bench/``; docs/PERFORMANCE.md has the figures).
Each test draws a page, adds rows of the kind that used to cost a statement each (rows
of other units, history entries by other people), draws it again and compares.
"""
from contextlib import contextmanager

from sqlalchemy import event, select

from xietong.models import Unit
from xietong.services import content
from xietong.services.workflow import Actor, fire, lock_document
from xietong.testing import login
from tests.test_content import filing_data


@contextmanager
def counting(dbsession):
    """The statements the test's connection executes inside the block."""
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    connection = dbsession.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", count)


def statements(testapp, dbsession, path: str) -> int:
    testapp.get(path)  # the first request may fill caches; count the second
    with counting(dbsession) as seen:
        testapp.get(path)
    return len(seen)


def other_units(dbsession, count: int, skip=()):
    return list(dbsession.scalars(select(Unit).where(Unit.id.not_in(list(skip))).order_by(Unit.id).limit(count)))


def test_listing_and_worklist_do_not_grow_with_their_rows(testapp, dbsession, workflows, people, users):
    login(testapp, users["reviewer"])

    def add(n, offset):
        units = other_units(dbsession, n + offset)[offset:]
        for unit in units:
            filing = content.create(dbsession, workflows, "filing", filing_data(title=f"{unit.short_name}平台运维"),
                                    Actor.of(people["staff"]), unit=unit)
            # a unit's own staff would submit; the service lets the reviewer see it once submitted
            filing.state = "submitted"
        dbsession.flush()

    add(2, 0)
    listing = "/documents?type=filing&state=submitted"
    few = {path: statements(testapp, dbsession, path) for path in (listing, "/worklist", "/documents")}
    add(8, 2)
    many = {path: statements(testapp, dbsession, path) for path in (listing, "/worklist", "/documents")}
    assert many == few


def test_document_page_does_not_grow_with_its_history(testapp, dbsession, workflows, people, users):
    filing = content.create(dbsession, workflows, "filing", filing_data(), Actor.of(people["staff"]))
    login(testapp, users["staff"])
    path = f"/documents/{filing.id}"
    fire(dbsession, workflows, filing.id, "submit", Actor.of(people["staff"]))
    short = statements(testapp, dbsession, path)
    for _ in range(3):  # more rows, by more people of more units
        fire(dbsession, workflows, filing.id, "return", Actor.of(people["reviewer"]), comment="请补充材料")
        content.edit(dbsession, filing, {"amount": filing.amount + 1}, Actor.of(people["head"]))
        fire(dbsession, workflows, filing.id, "submit", Actor.of(people["head"]))
    assert statements(testapp, dbsession, path) == short


def test_json_responses_skip_the_navigation_counts(testapp, dbsession, workflows, people, users):
    """BeforeRender fires for the JSON renderer too; the badge and unread counts are for pages."""
    token = testapp.post_json("/api/auth/token", {"username": users["staff"], "password": "correct-horse-battery"})
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    with counting(dbsession) as seen:
        testapp.get("/api/types", headers=headers)
    assert not [s for s in seen if "notifications" in s or "count(" in s.lower()]


def document_reads(seen) -> int:
    return sum(1 for s in seen if " ".join(s.split()).startswith("SELECT nodes.id, nodes.parent_id"))


def test_a_transition_reads_its_document_once(testapp, dbsession, workflows, people, users):
    """The route's context locks the document as it loads it; ``fire`` reuses that lock."""
    filing = content.create(dbsession, workflows, "filing", filing_data(), Actor.of(people["staff"]))
    token = testapp.post_json("/api/auth/token", {"username": users["staff"], "password": "correct-horse-battery"})
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    with counting(dbsession) as seen:
        answer = testapp.post_json(f"/api/documents/{filing.id}/@workflow/submit", {}, headers=headers)
    assert answer.json["document"]["state"]["id"] == "submitted"
    assert document_reads(seen) == 1


def test_a_lock_taken_in_a_rolled_back_savepoint_is_taken_again(dbsession, workflows, people):
    filing = content.create(dbsession, workflows, "filing", filing_data(), Actor.of(people["staff"]))
    dbsession.flush()
    savepoint = dbsession.begin_nested()
    with counting(dbsession) as seen:
        lock_document(dbsession, filing.id)
        lock_document(dbsession, filing.id)  # held: not read again
    assert document_reads(seen) == 1
    savepoint.rollback()  # releases the lock (PostgreSQL) and expires what it touched
    with counting(dbsession) as seen:
        again = lock_document(dbsession, filing.id)
    assert document_reads(seen) == 1 and again.state == "draft"


def test_a_request_that_only_reads_commits_and_its_statements_stay_prepared(fresh_db_url):
    """A read ends with COMMIT, not ROLLBACK: psycopg forgets its prepared statements on a
    rollback, and PostgreSQL then planned every statement of every page anew (xietong/db.py)."""
    import webtest
    from sqlalchemy import text

    from xietong import main
    from xietong.testing import app_settings, is_postgresql, migrate, populate

    migrate(fresh_db_url)
    populate(fresh_db_url)
    app = main({}, **app_settings(fresh_db_url))
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1"})
    login(client, "t_reviewer")
    engine = app.registry["db.engine"]
    ended = []
    event.listen(engine, "commit", lambda conn: ended.append("commit"))
    event.listen(engine, "rollback", lambda conn: ended.append("rollback"))
    for _ in range(8):
        client.get("/documents?type=filing")
    assert ended == ["commit"] * 8
    if is_postgresql(fresh_db_url):
        with engine.connect() as conn:  # the one pooled connection the requests used, one after another
            assert conn.scalar(text("SELECT count(*) FROM pg_prepared_statements")) > 0
    engine.dispose()
