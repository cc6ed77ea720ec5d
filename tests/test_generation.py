"""The cache token (xietong.generation): every committed write moves it, and nothing cached outlives it.

What a user would notice if this were wrong: a worklist badge or a dashboard that does not
count the filing just submitted — in this process, or in another gunicorn worker.
"""
import re

import requests
from sqlalchemy import event, select, text

from xietong import generation
from xietong.models import SiteGeneration
from xietong.services.workflow import Actor, fire
from xietong.testing import csrf_token, login

from .apiclient import TIMEOUT, bearer, html_login, token
from .test_document_views import make_filing
from .test_scale_out import make_filing as make_committed_filing

BADGE = re.compile(r'id="worklist-count">(\d+)')
UNREAD = re.compile(r'id="unread-count">(\d+)')


def stored_token(dbsession) -> int:
    return dbsession.scalar(select(SiteGeneration.token))


def badge(html: str) -> int:
    found = BADGE.search(html)
    return int(found.group(1)) if found else 0


def test_a_committed_write_moves_the_token_and_a_rolled_back_one_does_not(dbsession, workflows, people):
    before = stored_token(dbsession)
    make_filing(dbsession, workflows, people)
    dbsession.commit()
    after = stored_token(dbsession)
    assert after != before
    make_filing(dbsession, workflows, people)
    dbsession.rollback()
    assert stored_token(dbsession) == after


def test_a_raw_sql_write_through_the_session_moves_the_token(dbsession, people):
    before = stored_token(dbsession)
    dbsession.execute(text("UPDATE units SET short_name = short_name || '办' WHERE id = :id"),
                      {"id": people["staff"].unit_id})
    dbsession.commit()
    assert stored_token(dbsession) != before


def test_logging_in_leaves_the_token_alone(testapp, dbsession, users):
    before = stored_token(dbsession)
    login(testapp, users["reviewer"])
    assert stored_token(dbsession) == before


def test_a_change_to_what_a_user_may_do_moves_the_token_a_login_stamp_does_not(dbsession, people):
    from xietong.models import utcnow

    before = stored_token(dbsession)
    people["staff"].last_login_at = utcnow()
    dbsession.commit()
    assert stored_token(dbsession) == before
    people["staff"].unit_role = "head"
    dbsession.commit()
    assert stored_token(dbsession) != before


def test_a_transaction_that_wrote_neither_reads_nor_fills_the_cache(dbsession, workflows, people):
    cache = generation.Cache()
    dbsession.info[generation.CACHE_KEY] = cache
    assert generation.cached(dbsession, "answer", lambda: 1) == 1
    assert len(cache) == 1
    make_filing(dbsession, workflows, people)  # flushed, not committed: it may still roll back
    assert generation.cached(dbsession, "answer", lambda: 2) == 2
    assert generation.cached(dbsession, "other", lambda: 3) == 3
    assert len(cache) == 1
    dbsession.commit()
    assert generation.cached(dbsession, "answer", lambda: 4) == 4  # a new token: computed again
    assert generation.cached(dbsession, "answer", lambda: 5) == 4


def test_the_badge_is_counted_once_between_writes_and_again_after_one(testapp, dbsession, engine, workflows, people,
                                                                      users):
    login(testapp, users["reviewer"])
    counts = []  # the badge's statement: a bounded COUNT over a LIMITed select

    def listen(_conn, _cursor, statement, *_args):
        if re.match(r"\s*SELECT count\(\*\) AS count_1\s+FROM \(SELECT nodes.id", statement):
            counts.append(statement)

    first = badge(testapp.get("/account").text)
    event.listen(engine, "before_cursor_execute", listen)
    try:
        assert badge(testapp.get("/account").text) == first
        assert counts == []  # the second page took the badge from the cache
        filing = make_filing(dbsession, workflows, people)
        fire(dbsession, workflows, filing.id, "submit", Actor.of(people["staff"]))
        dbsession.commit()
        assert badge(testapp.get("/account").text) == first + 1
        assert len(counts) == 1
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def test_the_unread_count_follows_a_new_notice_and_marking_it_read(testapp, dbsession, workflows, people, users):
    """Cached like the badge: the notice a submission writes, and marking it read, both move the token."""
    login(testapp, users["reviewer"])

    def unread() -> int:
        found = UNREAD.search(testapp.get("/account").text)
        return int(found.group(1)) if found else 0

    before = unread()
    assert unread() == before
    filing = make_filing(dbsession, workflows, people)
    fire(dbsession, workflows, filing.id, "submit", Actor.of(people["staff"]))  # tells the reviewers
    dbsession.commit()
    assert unread() == before + 1
    page = testapp.get("/notifications")
    testapp.post("/notifications", {"csrf_token": csrf_token(page)}, status=303)  # all read
    assert unread() == 0


def test_a_unit_dashboard_counts_the_filing_created_after_it_was_shown(testapp, dbsession, workflows, people, users):
    login(testapp, users["staff"])

    def drafts() -> int:
        row = testapp.get("/dashboards/unit").html.select_one('#table-filings tr[data-state="draft"] td')
        return int(row.text) if row else 0

    before = drafts()
    assert drafts() == before
    make_filing(dbsession, workflows, people)
    dbsession.commit()
    assert drafts() == before + 1


def test_a_filing_submitted_through_one_worker_is_on_every_workers_badge(gunicorn_server, module_db_url):
    """Two gunicorn workers, each with its own cache: the write through one reaches both."""
    base = gunicorn_server.url
    reviewer = html_login(base, "t_reviewer")

    def badges() -> set[int]:
        # enough requests that both workers answer (and cache) more than once
        return {badge(reviewer.get(f"{base}/documents", timeout=TIMEOUT).text) for _ in range(12)}

    before = badges()
    assert len(before) == 1
    filing_id = make_committed_filing(module_db_url)
    staff = token(base, "t_staff")
    answer = requests.post(f"{base}/api/documents/{filing_id}/@workflow/submit", json={"comment": ""},
                           headers=bearer(staff), timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    assert badges() == {before.pop() + 1}



def test_a_cached_dashboard_is_kept_per_language(testapp, users):
    login(testapp, users["staff"])

    def heading() -> str:
        return testapp.get("/dashboards/unit").html.h1.text

    chinese = heading()
    assert heading() == chinese  # from the cache
    testapp.get("/locale/en", params={"came_from": "/dashboards/unit"}, status=303)
    english = heading()
    assert english.startswith("Dashboard of") and english != chinese
    testapp.get("/locale/zh_CN", params={"came_from": "/dashboards/unit"}, status=303)
    assert heading() == chinese


def test_the_cache_keeps_to_its_bounds_of_entries_and_of_text(dbsession):
    cache = generation.Cache(size=3, text_chars=10)
    dbsession.info[generation.CACHE_KEY] = cache
    for n in range(5):
        generation.cached(dbsession, ("count", n), lambda: n)
    assert len(cache) == 3
    assert generation.cached(dbsession, ("count", 0), lambda: "computed again") == "computed again"
    generation.cached(dbsession, "page", lambda: "x" * 8)
    generation.cached(dbsession, "other page", lambda: "y" * 8)  # 16 characters: the first page goes
    assert generation.cached(dbsession, "page", lambda: "again") == "again"
    assert generation.cached(dbsession, "huge", lambda: "z" * 11) == "z" * 11
    assert generation.cached(dbsession, "huge", lambda: "not kept") == "not kept"


def test_the_unit_filters_show_the_chosen_unit_and_a_renamed_one(testapp, dbsession, people, users):
    """The unit <select> of the listings and the search is rendered once per chosen unit until
    the next write: each page still marks the unit asked for, and a rename shows at once."""
    from xietong.models import Unit

    login(testapp, users["reviewer"])
    mine, other = people["reviewer"].unit_id, people["staff"].unit_id

    def chosen(path: str, select_id: str, unit_id: int) -> list[str]:
        html = testapp.get(path, params={"unit": unit_id}).html
        return [o["value"] for o in html.select(f"#{select_id} option[selected]")]

    for path, select_id in (("/documents", "filter-unit"), ("/search", "search-unit")):
        assert chosen(path, select_id, mine) == [str(mine)]
        assert chosen(path, select_id, other) == [str(other)]
        assert chosen(path, select_id, mine) == [str(mine)]
    dbsession.get(Unit, other).short_name = "改名后的单位"
    dbsession.commit()
    for path, select_id in (("/documents", "filter-unit"), ("/search", "search-unit")):
        html = testapp.get(path, params={"unit": other}).html
        assert html.select_one(f"#{select_id} option[selected]").text == "改名后的单位"
