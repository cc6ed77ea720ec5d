"""The dashboards' figures against a known world (``tests/dashboard_data.py``), their
permission filtering, and the pages: who may open which, the numbers in their tables, the
chart data embedded for ``static/js/dashboards.js``, and titles shown as text."""
import json
import re
from datetime import date
from decimal import Decimal

import pytest

from xietong.services import dashboards
from xietong.testing import login

from tests import dashboard_data
from tests.dashboard_data import HOSTILE

TODAY = date(2026, 6, 1)


@pytest.fixture
def world(dbsession, workflows, people):
    return dashboard_data.build(dbsession, workflows, people)


def money(row):
    return (row.unit, row.year, row.awaiting_count, row.awaiting_amount, row.approved_count, row.approved_amount,
            row.blocked_count, row.blocked_amount)


D = Decimal


def test_finance_figures_by_unit_and_year(dbsession, workflows, people, world):
    figures = dashboards.finance_figures(dbsession, workflows, people["finance"])
    assert [money(r) for r in figures.rows] == [
        ("市公安局", 2018, 0, D("0"), 1, D("100.25"), 1, D("50.10")),
        ("市公安局", 2019, 1, D("10.00"), 0, D("0"), 0, D("0")),
        ("测试甲局", 2018, 0, D("0"), 1, D("200.00"), 0, D("0")),
        ("测试甲局", 2019, 1, D("33.33"), 0, D("0"), 0, D("0")),
    ]
    total = figures.total
    assert (total.awaiting_count, total.awaiting_amount, total.approved_count, total.approved_amount,
            total.blocked_count, total.blocked_amount) == (2, D("43.33"), 2, D("300.25"), 1, D("50.10"))
    assert figures.years == [2018, 2019]
    assert [(f.title, f.unit, f.amount) for f in
            dashboards.filings_awaiting_decision(dbsession, workflows, people["finance"])] == [
        ("公安数据中台", "市公安局", D("10.00")), ("甲局共享接口", "测试甲局", D("33.33"))]


def test_finance_figures_are_permission_filtered(dbsession, workflows, people, world):
    # the leadership group sees decided filings only; a unit's staff sees its own unit's
    leader = dashboards.finance_figures(dbsession, workflows, people["leader"])
    assert (leader.total.awaiting_count, leader.total.approved_amount, leader.total.blocked_amount) == \
        (0, D("300.25"), D("50.10"))
    staff = dashboards.finance_figures(dbsession, workflows, people["staff"])
    assert {r.unit for r in staff.rows} == {"市公安局"}
    assert dashboards.finance_figures(dbsession, workflows, people["other_staff"]).rows == []


def test_filings_by_state_of_a_unit(dbsession, workflows, people, world):
    figures = dashboards.filings_by_state(dbsession, workflows, people["staff"], unit_id=people["staff"].unit_id)
    assert {f.state: (f.count, f.amount) for f in figures} == {
        "approved": (1, D("100.25")), "funding_blocked": (1, D("50.10")), "reviewed": (1, D("10.00")),
        "draft": (1, D("7.77"))}
    # another unit's staff may see none of them
    assert dashboards.filings_by_state(dbsession, workflows, people["other_staff"],
                                       unit_id=people["staff"].unit_id) == []


def test_scorecard_and_task_states(dbsession, workflows, people):
    before = dashboards.task_states(dbsession, workflows, people["leader"])
    world = dashboard_data.build(dbsession, workflows, people)
    after = dashboards.task_states(dbsession, workflows, people["leader"])
    added = {s: after.get(s, 0) - before.get(s, 0) for s in set(after) | set(before)}
    assert {s: n for s, n in added.items() if n} == {"not_started": 1, "in_progress": 1, "completed": 1}
    rows = {r.unit_id: r for r in dashboards.scorecard(dbsession, workflows, people["leader"], TODAY)}
    jia, hostile = rows[world.jia.id], rows[world.hostile.id]
    assert (jia.unit, jia.tasks_led, jia.tasks_on_time, jia.tasks_overdue, jia.milestones_overdue,
            jia.orders_open, jia.orders_overdue, jia.filings_blocked) == ("测试甲局", 2, 1, 1, 1, 1, 1, 0)
    assert (hostile.unit, hostile.tasks_led, hostile.tasks_on_time, hostile.tasks_overdue) == (HOSTILE, 1, 1, 0)
    assert rows[people["staff"].unit_id].filings_blocked == 1
    # before the milestone's due date nothing is overdue
    early = {r.unit_id: r for r in dashboards.scorecard(dbsession, workflows, people["leader"], date(2018, 1, 1))}
    assert (early[world.jia.id].tasks_overdue, early[world.jia.id].orders_overdue) == (0, 0)


def test_the_scorecard_counts_orders_only_for_those_who_may_see_them(dbsession, workflows, people, world):
    # finance may not view rectification orders: no open orders on its scorecard
    rows = {r.unit_id: r for r in dashboards.scorecard(dbsession, workflows, people["finance"], TODAY)}
    assert rows[world.jia.id].orders_open == 0 and rows[world.jia.id].tasks_led == 2


def test_unit_figures(dbsession, workflows, people, world):
    figures = dashboards.unit_figures(dbsession, workflows, world.jia_staff, TODAY)
    assert [(m.task_number, m.title, m.due_date, m.role) for m in figures.overdue_milestones] == \
        [("T5-1", "完成接入", date(2018, 1, 31), "lead")]
    assert [(o.doc_number, o.state, o.overdue) for o in figures.open_orders] == [("黄信办〔2018〕31号", "issued", True)]
    assert {f.state: f.count for f in figures.filings} == {"approved": 1, "reviewed": 1}
    # 市公安局 cooperates on T5-1: its milestone is on the unit's list, the completed task's is not
    police = dashboards.unit_figures(dbsession, workflows, people["staff"], TODAY)
    mine = [(m.task_number, m.role) for m in police.overdue_milestones if m.task_number.startswith("T5-")]
    assert mine == [("T5-1", "contributor")]
    assert police.open_orders == []


def test_dashboard_for_picks_by_role(people):
    assert [dashboards.dashboard_for(people[r]) for r in ("leader", "reviewer", "admin", "finance", "staff")] == \
        ["leadership", "leadership", "leadership", "finance", "unit"]


# -- the pages -------------------------------------------------------------------------------------

def chart_data(page, name: str) -> dict:
    found = re.search(rf'<script type="application/json" id="chart-data-{name}">(.*?)</script>', page.text, re.S)
    assert found, f"no chart data for {name}"
    return json.loads(found.group(1))


def cells(page, selector: str) -> list[list[str]]:
    return [[c.text.strip() for c in row.select("th, td")] for row in page.html.select(selector)]


@pytest.mark.parametrize("role, where", [("leader", "leadership"), ("reviewer", "leadership"),
                                         ("finance", "finance"), ("staff", "unit")])
def test_the_entry_sends_each_reader_to_their_dashboard(testapp, users, role, where):
    login(testapp, users[role])
    assert testapp.get("/dashboards", status=303).location.endswith(f"/dashboards/{where}")


def test_who_may_open_which_dashboard(testapp, users):
    """The role sets themselves are the site permissions (resources.SITE_PERMISSIONS); here each
    page is tried by one reader allowed and one refused (each page costs a render)."""
    assert dashboards.LEADERSHIP_ROLES == {"leader", "reviewer", "admin"}
    assert dashboards.FINANCE_ROLES == {"finance", "leader", "reviewer", "admin"}
    expected = {"leader": {"/dashboards/leadership": 200, "/dashboards/finance": 200},
                "finance": {"/dashboards/leadership": 403},
                "staff": {"/dashboards/finance": 403, "/dashboards/unit": 200}}
    for role, answers in expected.items():
        testapp.reset()
        login(testapp, users[role])
        for path, status in answers.items():
            page = testapp.get(path, status=status)
            if status == 403:  # the reason names the roles needed
                assert "领导小组" in page.text and "审核员（信息办）" in page.text
                assert ("财政经办人" in page.text) == path.endswith("finance")
    testapp.reset()
    for path in ("/dashboards/leadership", "/dashboards/unit", "/exports/filings.xlsx"):
        assert "/login" in testapp.get(path, status=302).location


def test_the_leadership_page_shows_the_figures_and_titles_as_text(testapp, users, world):
    login(testapp, users["leader"])
    page = testapp.get("/dashboards/leadership")
    assert HOSTILE not in page.text  # neither in the tables nor in the embedded chart data
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    score = {row[0]: row[1:] for row in cells(page, "#scorecard tbody tr")}
    assert score["测试甲局"] == ["2", "1", "1", "1 1项逾期", "0"]
    assert score[HOSTILE] == ["1", "1", "0", "0", "0"]
    tasks = {row[0]: row for row in cells(page, "#tasks tbody tr")}
    late = tasks["T5-1"]
    assert "逾期" in late[1] and late[2] == "测试甲局" and late[3] == "推进中" and late[4] == "40%"
    assert late[5] == "2018年1月31日 完成接入"  # the next milestone is the first not done, overdue or not
    assert tasks["T5-3"][3] == "未启动" and tasks["T5-3"][4] == "—"
    overdue = chart_data(page, "overdue")
    assert overdue["series"][0]["data"][overdue["categories"].index("测试甲局")] == 1
    states = {item["name"]: item["value"] for item in chart_data(page, "states")["items"]}
    assert {row[0]: int(row[1]) for row in cells(page, "#table-states tbody tr") if row[1] != "0"} == states
    points = [p for p in chart_data(page, "timeline")["points"] if p["task"] == "T5-1"]
    assert [(p["name"], p["label"], p["status"]) for p in points] == [
        ("完成接入", "2018年1月31日", "overdue"), ("全面共享", "2099年12月31日", "pending")]
    orders = cells(page, "#overdue-orders tbody tr")
    assert ["黄信办〔2018〕31号", "测试甲局", "2018年5月31日", "已下发"] in orders
    assert page.html.select_one("#missing-reports") is not None  # no annual report in the test database


def test_the_finance_page(testapp, users, world):
    login(testapp, users["finance"])
    page = testapp.get("/dashboards/finance")
    assert cells(page, "#table-money tbody tr") == [
        ["市公安局", "2018", "0", "0.00", "1", "100.25", "1", "50.10"],
        ["市公安局", "2019", "1", "10.00", "0", "0.00", "0", "0.00"],
        ["测试甲局", "2018", "0", "0.00", "1", "200.00", "0", "0.00"],
        ["测试甲局", "2019", "1", "33.33", "0", "0.00", "0", "0.00"]]
    assert cells(page, "#money-total") == [["合计", "2", "43.33", "2", "300.25", "1", "50.10"]]
    assert page.html.select_one("#summary-approved").text.strip() == "2项 · 300.25万元"
    money = chart_data(page, "money")
    assert money["categories"][0] == "市公安局 · 2018年" and money["series"][1]["data"][0] == 100.25
    assert [row[0] for row in cells(page, "#awaiting tbody tr")] == ["公安数据中台", "甲局共享接口"]


def test_the_unit_page_shows_only_the_units_own(testapp, users, world, dbsession):
    login(testapp, users["staff"])
    page = testapp.get("/dashboards/unit")
    assert "市公安局" in page.html.select_one("h1").text
    assert {row[0]: row[1:] for row in cells(page, "#table-filings tbody tr")} == {
        "草稿": ["1", "7.77万元"], "已审核": ["1", "10.00万元"], "已批准": ["1", "100.25万元"],
        "不予拨付": ["1", "50.10万元"]}
    mine = [row for row in cells(page, "#unit-overdue-milestones tbody tr") if row[0] == "T5-1"]
    assert mine == [["T5-1", "测试任务：接入共享平台", "完成接入", "2018年1月31日", "配合单位"]]
    assert "甲局" not in page.text  # the other unit's filings and orders are not here
    testapp.reset()
    login(testapp, users["other_staff"])
    other = testapp.get("/dashboards/unit")
    assert cells(other, "#table-filings tbody tr") == [["暂无项目备案。"]] or \
        "公安" not in other.html.select_one("#table-filings").text


def test_the_pages_speak_english_on_request(testapp, users, world):
    login(testapp, users["finance"])
    testapp.get("/locale/en", status=303)
    page = testapp.get("/dashboards/finance")
    assert page.html.select_one("h1").text.strip() == "Finance dashboard"
    assert page.html.select_one("#summary-approved").text.strip() == "2 filings · 300.25 (10k CNY)"
    assert chart_data(page, "money")["series"][2]["name"] == "Funding blocked"


def test_the_unit_worklist_is_the_worklist(dbsession, workflows, people, world):
    from xietong.services import listing

    for role in ("staff", "finance"):
        mine = dashboards.worklist_items(dbsession, workflows, people[role], 50)
        full = listing.worklist(dbsession, workflows, people[role], limit=50)
        assert [w.id for w in mine.items] == [d.id for d in full.items] and mine.total == full.total
    finance = dashboards.worklist_items(dbsession, workflows, people["finance"], 50).items
    assert {w.title for w in finance if w.type == "filing"} == {"公安数据中台", "甲局共享接口"}  # the two reviewed


def test_missing_annual_reports_after_their_due_date(dbsession, workflows, people, world):
    from xietong.models import AnnualReport
    from xietong.services.workflow import Actor, create_document, fire

    assert [dashboards.last_reporting_year(d) for d in (date(2026, 1, 10), date(2026, 1, 11))] == [2024, 2025]
    report = AnnualReport(name="t5-annual", path="/t5-annual/", title="2025年度报告", year=2025, catalogue="目录",
                          platform="平台", sharing="共享", due_date=date(2026, 1, 10), unit_id=world.jia.id,
                          owner=world.jia_staff)
    create_document(dbsession, workflows, report, Actor.of(world.jia_staff))
    figures = dashboards.leadership_figures(dbsession, workflows, people["leader"], TODAY)
    missing = {u.id for u in figures.missing_reports}
    assert figures.report_year == 2025 and {world.jia.id, world.hostile.id} <= missing  # a draft does not count
    fire(dbsession, workflows, report.id, "submit", Actor.of(world.jia_staff))
    missing = {u.id for u in dashboards.leadership_figures(dbsession, workflows, people["leader"], TODAY).missing_reports}
    assert world.hostile.id in missing and world.jia.id not in missing
    before_due = dashboards.leadership_figures(dbsession, workflows, people["leader"], date(2026, 1, 10))
    assert before_due.report_year == 2024  # the report on 2025 is not late yet


# -- the per-type predicates and statements written for speed give the same answers ----------------

@pytest.mark.parametrize("role", ["leader", "reviewer", "finance", "staff", "other_staff"])
def test_a_types_own_predicate_finds_what_the_whole_predicate_finds(dbsession, workflows, people, world, role):
    """``visible(..., type_name)`` compiles the permission predicate from the type's workflow
    alone: on documents of that type it must keep exactly the documents the full one keeps."""
    from sqlalchemy import select

    from xietong.models import Node

    user = people[role]
    dialect = dbsession.get_bind().dialect.name
    for type_name in ("filing", "rectification_order", "key_task", "progress_report"):
        full = set(dbsession.scalars(select(Node.id).where(Node.type == type_name,
                                                           *dashboards.visible(user, workflows, dialect=dialect))))
        own = set(dbsession.scalars(select(Node.id).where(Node.type == type_name,
                                                          *dashboards.visible(user, workflows, type_name, dialect))))
        assert own == full, (role, type_name)
    assert dashboards.visible(user, workflows, "no_such_type")[0] is not None  # matches nothing, raises nothing


def test_the_leadership_task_list_is_the_tasks_the_reader_may_view(dbsession, workflows, people, world):
    from xietong.security import permits
    from xietong.services.tasks import task_summaries

    leader = people["leader"]
    figures = dashboards.leadership_figures(dbsession, workflows, leader, TODAY)
    every = task_summaries(dbsession, TODAY)
    from xietong.models import KeyTask

    allowed = {t.id for t in every if permits(leader, dbsession.get(KeyTask, t.id), "view", workflows)}
    assert [t.id for t in figures.tasks] == [t.id for t in every if t.id in allowed]
    late = next(t for t in figures.tasks if t.number == "T5-1")
    assert late.lead_units == ["测试甲局"] and late.cooperating_units == []  # the page names lead units only
    full = next(t for t in every if t.number == "T5-1")
    assert full.cooperating_units == ["市公安局"] and full.progress == late.progress == 40
    assert figures.overdue_milestones >= 1 and figures.overdue_tasks >= 1


def test_overdue_orders_come_soonest_first_and_stop_at_the_limit(dbsession, workflows, people, world):
    more = [_order_for(dbsession, workflows, people, world.jia, 40 + i, date(2018, 3, 1 + i)) for i in range(3)]
    orders = dashboards.open_orders(dbsession, workflows, people["leader"], TODAY, overdue_only=True)
    due = [o.due_date for o in orders]
    assert due == sorted(due) and {o.id for o in more} <= {o.id for o in orders}
    two = dashboards.open_orders(dbsession, workflows, people["leader"], TODAY, overdue_only=True, limit=2)
    assert [o.id for o in two] == [o.id for o in orders[:2]]
    assert all(o.overdue for o in orders)
    # the scorecard counts the same open orders per target unit
    row = {r.unit_id: r for r in dashboards.scorecard(dbsession, workflows, people["leader"], TODAY)}[world.jia.id]
    assert (row.orders_open, row.orders_overdue) == (4, 4)


def _order_for(dbsession, workflows, people, unit, number, due):
    from xietong.services import content
    from xietong.services.workflow import Actor, fire

    order = content.create(dbsession, workflows, "rectification_order", {
        "title": f"整改通知{number}", "target_unit": unit.id, "basis": "实施方案", "findings": "未按期整改",
        "due_date": due, "doc_number": f"黄信办〔2018〕{number}号"}, Actor.of(people["reviewer"]))
    fire(dbsession, workflows, order.id, "issue", Actor.of(people["reviewer"]))
    return order


def test_a_unit_without_any_report_is_missing_even_beside_reports_without_a_unit(dbsession, workflows, people, world):
    """The missing-report statement is a NOT IN over the reporting units: one report without a
    unit (NULL) must not make every unit look as if it had reported."""
    from xietong.models import AnnualReport
    from xietong.services.reports import units_without_report
    from xietong.services.workflow import Actor, create_document

    orphan = AnnualReport(name="t5-orphan", path="/t5-orphan/", title="无单位报告", year=2025, catalogue="目录",
                          platform="平台", sharing="共享", due_date=date(2026, 1, 10), unit_id=None,
                          owner=world.jia_staff)
    create_document(dbsession, workflows, orphan, Actor.of(world.jia_staff))
    orphan.state = "submitted"  # nobody may submit a report without a unit: the row is made as found
    dbsession.flush()
    missing = {u.id for u in units_without_report(dbsession, 2025)}
    assert {world.jia.id, world.hostile.id} <= missing
