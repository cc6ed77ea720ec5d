"""Search: substring semantics for 1-, 2-, 3- and 4-character Chinese queries, words ANDed, syntax
characters literal, permission-filtered in SQL, filters, the page, the API, the migration, the start-up check.

Runs on SQLite (FTS5 trigram + LIKE) and, with XIETONG_TEST_DB, on PostgreSQL (pg_trgm + LIKE).
"""
import os
import uuid
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from xietong import main
from xietong.db import make_engine
from xietong.migrate import alembic_config, upgrade
from xietong.services import content
from xietong.services import search as search_service
from xietong.services.search import InvalidQuery, fts_phrases, like_pattern, parse_query, search
from xietong.services.workflow import Actor, fire
from xietong.testing import PASSWORD, app_settings, drop_database, is_postgresql, login


def filing(dbsession, workflows, person, title, description="年度运维", **overrides):
    data = {"title": title, "year": 2018, "project_type": "om", "funding_kind": "om",
            "amount": Decimal("125.50"), "funding_source": "municipal", "build_mode": "government",
            "description": description, "systems": [],
            "compliance": {"network": "extranet", "connected_to_exchange": True, "catalogued": True,
                           "duplicates_existing": False}, **overrides}
    return content.create(dbsession, workflows, "filing", data, Actor.of(person))


def system(dbsession, workflows, person, title, function="视频监控"):
    data = {"title": title, "function": function, "status": "in_use", "network": "extranet",
            "connected_to_exchange": True, "catalogued": True}
    return content.create(dbsession, workflows, "information_system", data, Actor.of(person))


@pytest.fixture
def docs(dbsession, workflows, people):
    staff = people["staff"]
    made = {
        "monitor": filing(dbsession, workflows, staff, "市公安局视频监控平台运维",
                          "含视频监控前端设备的年度维护"),
        "portal": filing(dbsession, workflows, staff, "政务服务网整合", "整合各部门办事入口"),
        "rectify": filing(dbsession, workflows, staff, "关于整改的通知", "按要求完成整改并备案"),
        "syntax": filing(dbsession, workflows, staff, 'AND "引号" 进度100%_完成 a*b c-d NEAR(x) 路径\\目录',
                         "特殊字符"),
        "system": system(dbsession, workflows, staff, "治安卡口系统", function="车辆监控与布控"),
    }
    dbsession.flush()
    return made


def titles(page) -> list[str]:
    return [d.title for d in page.items]


def found(dbsession, workflows, user, q, **kw) -> set[int]:
    return {d.id for d in search(dbsession, workflows, user, q, **kw).items}


# -- the query ------------------------------------------------------------------------------------

def test_parse_query():
    assert parse_query("  政务  服务\u3000网\t整合 ") == ("政务", "服务", "网", "整合")
    assert parse_query("政务 政务服务 政务") == ("政务服务",)  # repeated and contained terms dropped
    assert parse_query("") == () and parse_query(None) == () and parse_query(" \u3000 ") == ()
    assert len("".join(parse_query("长" * 300))) == search_service.MAX_QUERY_LENGTH
    for bad in ("监\x00控", "\x1b[31m", "a\x7fb", "\ud800"):
        with pytest.raises(InvalidQuery):
            parse_query(bad)


def test_patterns_quote_every_syntax_character():
    assert like_pattern("100%_\\") == "%100\\%\\_\\\\%"
    assert fts_phrases(['say "hi"', "NEAR(", "a*"]) == '"say ""hi""" "NEAR(" "a*"'


# -- finding --------------------------------------------------------------------------------------

@pytest.mark.parametrize("q,expected", [
    ("监", {"monitor", "system"}),           # one character: LIKE scan
    ("网", {"portal"}),
    ("政务", {"portal"}),                      # two characters: LIKE scan
    ("整改", {"rectify"}),
    ("备案", {"rectify"}),
    ("监控", {"monitor", "system"}),
    ("公安局", {"monitor"}),                  # three characters: the trigram index
    ("服务网", {"portal"}),
    ("视频监控", {"monitor"}),                # four
    ("市公安局视频监控平台运维", {"monitor"}),
    ("前端设备", {"monitor"}),                # in the text, not the title
    ("办事入口", {"portal"}),
    ("布控", {"system"}),
    ("监控 运维", {"monitor"}),               # every word must occur
    ("视频监控 维护", {"monitor"}),
    ("整合 政务服务", {"portal"}),
    ("监控 整合", set()),
    ("不存在的词", set()),
])
def test_substring_for_every_length(dbsession, workflows, people, docs, q, expected):
    assert found(dbsession, workflows, people["staff"], q) == {docs[k].id for k in expected}


@pytest.mark.parametrize("q,hit", [
    ('"', True), ('"引号"', True), ('""', False), ("AND", True), ("and", True), ("NEAR(", True),
    ("NEAR(x)", True), ("near(X)", True), ("a*b", True), ("A*B", True), ("*", True), ("a*", True), ("c-d", True), ("-", True),
    ("%", True), ("100%", True), ("_", True), ("%_", True), ("\\", True), ("\\目录", True),
    ("%%%", False), ("___", False), ("a%b", False), ("-监控", False), ("监控*", False),
    ("OR", False), ("NOT 监控", False), ("监控 OR 政务", False), ("^政务", False), ("政务:", False),
    ("search_text:政务", False), ("(", True), (")", True), ("{x}", False), ("'", False), (";", False),
])
def test_syntax_characters_are_literal(dbsession, workflows, people, docs, q, hit):
    assert found(dbsession, workflows, people["staff"], q) == ({docs["syntax"].id} if hit else set())


def test_control_characters_are_refused(dbsession, workflows, people, docs):
    with pytest.raises(InvalidQuery):
        search(dbsession, workflows, people["staff"], "监控\x00")
    # tab, CR and LF separate words like spaces
    assert found(dbsession, workflows, people["staff"], "监控\t运维\r\n") == {docs["monitor"].id}


def test_title_hits_come_first_then_newest(dbsession, workflows, people, docs):
    staff = people["staff"]
    body_only = filing(dbsession, workflows, staff, "年度预算", "涉及视频监控的经费")
    page = search(dbsession, workflows, staff, "视频监控")
    assert [d.id for d in page.items] == [docs["monitor"].id, body_only.id] and page.total == 2
    newer = filing(dbsession, workflows, staff, "视频监控扩容")
    page = search(dbsession, workflows, staff, "视频监控")
    assert [d.id for d in page.items] == [newer.id, docs["monitor"].id, body_only.id]
    # short terms rank the same way (the title test is a LIKE for every term)
    page = search(dbsession, workflows, staff, "监控 经费")
    assert [d.id for d in page.items] == [body_only.id]


def test_total_and_paging(dbsession, workflows, people, docs):
    staff = people["staff"]
    first = search(dbsession, workflows, staff, "监", limit=1)
    second = search(dbsession, workflows, staff, "监", limit=1, offset=1)
    beyond = search(dbsession, workflows, staff, "监", limit=1, offset=5)
    assert first.total == second.total == beyond.total == 2
    assert len(first.items) == len(second.items) == 1 and first.items[0].id != second.items[0].id
    assert beyond.items == []


@pytest.mark.parametrize("q", ["监控", "视频监控"])  # a scanned term and an indexed one
@pytest.mark.parametrize("cap", [1000, 2])  # few hits (sorted) and many (read newest first)
# PostgreSQL with many hits looks for the title hits among the newest nodes first: a window
# holding every node, and one of three, which holds some pages and not others
@pytest.mark.parametrize("window", [2000, 3])
def test_every_page_boundary_keeps_title_hits_first(dbsession, workflows, people, docs, q, cap, window,
                                                    monkeypatch):
    """Pages are read as title hits, then the rest: every offset gives the same order as one list."""
    monkeypatch.setattr("xietong.services.search.COUNT_CAP", cap)
    monkeypatch.setattr("xietong.services.search.TITLE_WINDOW", window)
    staff = people["staff"]
    for number in range(3):
        filing(dbsession, workflows, staff, f"预算{number}", "涉及视频监控的经费")
        filing(dbsession, workflows, staff, f"视频监控扩容{number}")
    dbsession.flush()
    everything = [d.title for d in search(dbsession, workflows, staff, q, limit=50).items]
    in_title = [t for t in everything if q in t]
    assert everything[:len(in_title)] == in_title and len(everything) > len(in_title) >= 4
    for size in (1, 2, 3, 4):
        paged = []
        for offset in range(0, len(everything) + size, size):
            paged += titles(search(dbsession, workflows, staff, q, limit=size, offset=offset))
        assert paged == everything, size


def test_pages_for_people_count_up_to_the_cap(dbsession, workflows, people, docs):
    staff = people["staff"]
    for number in range(4):
        filing(dbsession, workflows, staff, f"监控{number}")
    dbsession.flush()
    capped = search(dbsession, workflows, staff, "监控", limit=2, count_cap=3)
    assert capped.capped and capped.total == 4 and len(capped.items) == 2
    exact = search(dbsession, workflows, staff, "监控", limit=2)
    assert not exact.capped and exact.total == 6


def test_items_carry_their_subclass_columns(dbsession, workflows, people, docs):
    items = search(dbsession, workflows, people["staff"], "监控").items
    assert {type(d).__name__ for d in items} == {"Filing", "InformationSystem"}


def test_an_edit_is_found_by_its_new_words_only(dbsession, workflows, people, docs):
    staff = people["staff"]
    content.edit(dbsession, docs["portal"], {"title": "一网通办平台建设"}, Actor.of(staff))
    assert found(dbsession, workflows, staff, "服务网") == set()
    assert found(dbsession, workflows, staff, "一网通办") == {docs["portal"].id}
    assert found(dbsession, workflows, staff, "通办") == {docs["portal"].id}


# -- permissions, trash, filters -------------------------------------------------------------------

def test_another_units_draft_never_appears(dbsession, workflows, people, docs):
    for q in ("监", "监控", "视频监控", "前端设备", ""):
        assert docs["monitor"].id not in found(dbsession, workflows, people["other_staff"], q)
        assert docs["monitor"].id in found(dbsession, workflows, people["staff"], q)
    assert docs["monitor"].id not in found(dbsession, workflows, people["reviewer"], "视频监控")  # a draft
    fire(dbsession, workflows, docs["monitor"].id, "submit", Actor.of(people["staff"]))
    assert docs["monitor"].id in found(dbsession, workflows, people["reviewer"], "视频监控")
    assert docs["monitor"].id not in found(dbsession, workflows, people["other_staff"], "视频监控")


def test_trashed_documents_are_not_found(dbsession, workflows, people, docs):
    staff = people["staff"]
    content.trash(dbsession, docs["portal"], Actor.of(people["head"]))
    assert found(dbsession, workflows, staff, "政务") == set()
    assert found(dbsession, workflows, staff, "服务网") == set()
    content.restore(dbsession, docs["portal"], Actor.of(people["admin"]))
    assert found(dbsession, workflows, staff, "服务网") == {docs["portal"].id}


def test_filters(dbsession, workflows, people, docs):
    staff = people["staff"]
    assert found(dbsession, workflows, staff, "监控", type_="information_system") == {docs["system"].id}
    assert found(dbsession, workflows, staff, "监控", type_="filing") == {docs["monitor"].id}
    fire(dbsession, workflows, docs["monitor"].id, "submit", Actor.of(staff))
    assert found(dbsession, workflows, staff, "监控", state="submitted") == {docs["monitor"].id}
    assert found(dbsession, workflows, staff, "监控", state="draft") == set()
    assert found(dbsession, workflows, staff, "监控", unit_id=staff.unit_id) == {docs["monitor"].id, docs["system"].id}
    assert found(dbsession, workflows, staff, "监控", unit_id=people["other_staff"].unit_id) == set()
    assert found(dbsession, workflows, staff, "", type_="information_system") == {docs["system"].id}


# -- the page and the API --------------------------------------------------------------------------

def test_the_search_page(testapp, dbsession, people, users, docs):
    testapp.get("/search", status=302)  # anonymous: to the login form
    login(testapp, users["staff"])
    empty = testapp.get("/search")
    assert 'id="search-form"' in empty.text and 'id="search-results"' not in empty.text
    def link(name):
        return f'href="/documents/{docs[name].id}"'

    page = testapp.get("/search", {"q": "视频监控"})
    assert "市公安局<mark>视频监控</mark>平台运维" in page.text and link("portal") not in page.text
    assert "项目备案" in page.html.find(id="search-results").text
    page = testapp.get("/search", {"q": "监", "type": "information_system"})
    assert link("system") in page.text and link("monitor") not in page.text
    # a filter that is not a choice is ignored; a search text with a control character is explained
    page = testapp.get("/search", {"q": "政务", "type": "nonsense", "unit": "99999999999999999999999"})
    assert link("portal") in page.text
    page = testapp.get("/search", {"q": "政务\x00"})
    assert 'id="search-error"' in page.text and 'id="search-results"' not in page.text
    page = testapp.get("/search", {"q": '"<script>'})
    assert "&lt;script&gt;" in page.text


def test_the_search_page_pages(testapp, dbsession, workflows, people, users, docs, monkeypatch):
    for number in range(25):
        filing(dbsession, workflows, people["staff"], f"批量备案材料{number:02d}")
    dbsession.flush()
    login(testapp, users["staff"])
    first = testapp.get("/search", {"q": "批量备案"})
    assert "25" in first.html.find(id="search-total").text
    assert first.text.count("</mark>材料") == 20 and 'rel="next"' in first.text
    second = testapp.get("/search", {"q": "批量备案", "page": 2})
    assert second.text.count("</mark>材料") == 5 and 'rel="prev"' in second.text
    monkeypatch.setattr("xietong.views.search.COUNT_CAP", 3)  # past the cap the page says "more than"
    capped = testapp.get("/search", {"q": "批量备案"})
    assert "找到超过 3 份文档" in capped.html.find(id="search-total").text
    assert capped.text.count("</mark>材料") == 20 and 'rel="next"' in capped.text


def token_for(testapp, username) -> dict:
    token = testapp.post_json("/api/auth/token", {"username": username, "password": PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_api(testapp, dbsession, people, users, docs):
    response = testapp.get("/api/search", {"q": "监控"}, status=401)
    assert response.json["error"]["type"] == "unauthorized"
    auth = token_for(testapp, users["staff"])
    body = testapp.get("/api/search", {"q": "监控"}, headers=auth).json
    assert body["total"] == 2 and {i["id"] for i in body["items"]} == {docs["monitor"].id, docs["system"].id}
    item = next(i for i in body["items"] if i["id"] == docs["monitor"].id)
    assert item == {"id": docs["monitor"].id, "type": "filing", "title": "市公安局视频监控平台运维",
                    "state": "draft", "unit": {"id": people["staff"].unit_id, "code": "gonganju",
                                               "name": people["staff"].unit.name},
                    "version": docs["monitor"].version}
    body = testapp.get("/api/search", {"q": "监控", "type": "filing", "unit": "gonganju", "state": "draft",
                                       "limit": "1", "offset": "0"}, headers=auth).json
    assert [i["id"] for i in body["items"]] == [docs["monitor"].id] and body["total"] == 1
    body = testapp.get("/api/search", {"q": "监控", "unit": str(people["staff"].unit_id)}, headers=auth).json
    assert body["total"] == 2
    other = token_for(testapp, users["other_staff"])
    assert testapp.get("/api/search", {"q": "监控"}, headers=other).json == {
        "items": [], "total": 0, "limit": 20, "offset": 0}


@pytest.mark.parametrize("params,field", [
    ({"q": "监控\x00"}, "q"), ({"q": "\x01"}, "q"), ({"type": "nonsense"}, "type"), ({"state": "nowhere"}, "state"),
    ({"unit": "99999"}, "unit"), ({"unit": "no-such-unit"}, "unit"), ({"unit": "9" * 30}, "unit"),
    ({"unit": "gong\x00anju"}, "unit"), ({"type": "filing\x00"}, "type"), ({"state": "\x00"}, "state"),
    ({"limit": "0"}, "limit"), ({"limit": "201"}, "limit"), ({"limit": "abc"}, "limit"),
    ({"limit": "1.5"}, "limit"), ({"offset": "-1"}, "offset"), ({"offset": "9" * 30}, "offset"),
    ({"offset": "1e400"}, "offset"),
])
def test_the_api_answers_400_for_bad_parameters(testapp, users, params, field):
    auth = token_for(testapp, users["staff"])
    response = testapp.get("/api/search", params, headers=auth, status=400)
    assert response.json["error"]["type"] == "bad_request" and field in response.json["error"]["details"]["fields"]


def test_the_api_takes_syntax_characters(testapp, users, docs):
    auth = token_for(testapp, users["staff"])
    for q in ('"', '" OR "', "*", "-", "AND", "NEAR(", "%", "_", "\\", "'; DROP TABLE nodes; --"):
        testapp.get("/api/search", {"q": q}, headers=auth, status=200)


# -- PostgreSQL: prepared statements, the locale ---------------------------------------------------

def test_search_statements_are_never_prepared(dbsession, workflows, people, docs):
    if dbsession.get_bind().dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements are a PostgreSQL matter")
    driver = dbsession.connection().connection.driver_connection
    before = driver.prepare_threshold
    for _ in range(12):
        search(dbsession, workflows, people["staff"], "政务")
        search(dbsession, workflows, people["staff"], "视频监控")
    assert driver.prepare_threshold == before
    prepared = dbsession.execute(text(
        "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%search_text%ESCAPE%'")).scalar()
    assert prepared == 0


@pytest.fixture
def c_locale_db_url():
    server = make_url(os.environ.get("XIETONG_TEST_DB", "sqlite://"))
    if server.get_backend_name() != "postgresql":
        pytest.skip("the LC_CTYPE check is for PostgreSQL")
    name = f"xietong_t_c_{uuid.uuid4().hex[:10]}"
    admin = make_engine(server.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\' '
                          f"LC_COLLATE 'C' LC_CTYPE 'C'"))
    admin.dispose()
    yield server.set(database=name).render_as_string(hide_password=False)
    drop_database(server.render_as_string(hide_password=False), name)


def test_refuses_a_postgresql_database_that_cannot_index_chinese(c_locale_db_url):
    upgrade(alembic_config(None, url=c_locale_db_url))
    with pytest.raises(SystemExit) as refused:
        main({}, **app_settings(c_locale_db_url))
    message = str(refused.value)
    assert "LC_CTYPE" in message and "C.UTF-8" in message and "TEMPLATE template0" in message


def test_refuses_a_sqlite_database_whose_index_triggers_are_gone(fresh_db_url):
    if is_postgresql(fresh_db_url):
        pytest.skip("the triggers are SQLite's")
    upgrade(alembic_config(None, url=fresh_db_url))
    engine = make_engine(fresh_db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER search_fts_au")
    engine.dispose()
    with pytest.raises(SystemExit) as refused:
        main({}, **app_settings(fresh_db_url))
    assert "search_fts_au" in str(refused.value)


# -- the migration ---------------------------------------------------------------------------------

def _search_objects(engine) -> set[str]:
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            return set(conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE name LIKE 'search_fts%'").scalars())
    return {i["name"] for i in inspect(engine).get_indexes("nodes") if i["name"] == "ix_nodes_search_trgm"}


def test_migration_up_down_up_stays_clean_and_indexes_existing_rows(fresh_db_url):
    cfg = alembic_config(None, url=fresh_db_url)
    upgrade(cfg, "0003")
    engine = make_engine(fresh_db_url)
    try:
        with engine.begin() as conn:  # a row from before the index: 0004 must index it (backfill)
            conn.execute(text(
                "INSERT INTO nodes (name, path, type, title, version, created_at, modified_at, search_text) "
                "VALUES ('old', '/old/', 'node', '视频监控旧档', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                "'视频监控旧档')"))
        upgrade(cfg)
        command.check(cfg)
        created = _search_objects(engine)
        assert created and (engine.dialect.name != "sqlite" or "search_fts" in created)
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                hits = conn.exec_driver_sql("SELECT rowid FROM search_fts WHERE search_fts MATCH '\"视频监控\"'").all()
            assert len(hits) == 1
        command.downgrade(cfg, "0003")
        assert _search_objects(engine) == set()
        upgrade(cfg)
        assert _search_objects(engine) == created
        command.check(cfg)
    finally:
        engine.dispose()
