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
