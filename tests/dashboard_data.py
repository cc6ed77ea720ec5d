"""A known world for the dashboard and export tests: documents in known states and amounts.

Two units of its own (so that the seed's key tasks, led by the city's departments, do not
touch their figures): 测试甲局 and a unit whose short name is an HTML tag, to prove that
titles are text everywhere.  The figures they must produce are written beside the data.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from xietong.models import KeyTask, LocalRole, Milestone, ProgressReport, Unit, User
from xietong.services import content
from xietong.services.workflow import Actor, create_document, fire

from tests.test_content import filing_data

HOSTILE = "<script>alert(1)</script>"
LONG_AGO = date(2018, 1, 31)
FAR_AHEAD = date(2099, 12, 31)


@dataclass
class World:
    jia: Unit  # 测试甲局
    hostile: Unit  # short name HOSTILE
    jia_staff: User
    filings: dict
    tasks: dict
    orders: dict


def _unit(dbsession, code: str, short_name: str, sort_order: int) -> Unit:
    unit = Unit(code=code, name=f"{short_name}（测试）", short_name=short_name, kind="department",
                sort_order=sort_order)
    dbsession.add(unit)
    dbsession.flush()
    return unit


def _filing(dbsession, workflows, people, author, title, year, amount, steps, comment=""):
    filing = content.create(dbsession, workflows, "filing",
                            filing_data(title=title, year=year, amount=Decimal(amount)), Actor.of(author))
    for step in steps:
        actor = {"submit": author, "review": people["reviewer"]}.get(step, people["finance"])
        fire(dbsession, workflows, filing.id, step, Actor.of(actor),
             comment=comment if step == "block_funding" else "")
    return filing


def _task(dbsession, workflows, people, number, title, lead, contributors, milestones, steps=()):
    task = KeyTask(name=f"t5-{number}", path=f"/t5-tasks/{number}/", title=title, number=number,
                   section="key", sort_order=900 + len(number), unit_id=people["leader"].unit_id,
                   owner=people["leader"])
    task.local_role_rows.append(LocalRole(unit_id=lead.id, role="lead"))
    for unit in contributors:
        task.local_role_rows.append(LocalRole(unit_id=unit.id, role="contributor"))
    for order, (text, due, done) in enumerate(milestones):
        task.milestones.append(Milestone(sort_order=order, title=text, due_date=due, original_due_date=due,
                                         done_date=done))
    create_document(dbsession, workflows, task, Actor.of(people["leader"]))
    for step in steps:
        fire(dbsession, workflows, task.id, step, Actor.of(people["leader"]))
    return task


def _order(dbsession, workflows, people, target, number, due, steps):
    order = content.create(dbsession, workflows, "rectification_order", {
        "title": f"关于{target.short_name}的整改通知", "target_unit": target.id, "basis": "实施方案",
        "findings": "未按期接入共享平台", "due_date": due, "doc_number": f"黄信办〔2018〕{number}号"},
        Actor.of(people["reviewer"]))
    for step in steps:
        fire(dbsession, workflows, order.id, step, Actor.of(people["reviewer"]))
    return order


def build(dbsession, workflows, people) -> World:
    """``people``: role -> User with at least staff (市公安局), reviewer, finance and leader.

    Figures (as the finance officer; 市公安局 is ``staff``'s unit):

    ======== ==== ============== ============== ==============
    unit     year awaiting       approved       blocked
    ======== ==== ============== ============== ==============
    市公安局 2018                1 · 100.25     1 · 50.10
    市公安局 2019 1 · 10.00
    测试甲局 2018                1 · 200.00
    测试甲局 2019 1 · 33.33
    ======== ==== ============== ============== ==============

    plus one draft of 市公安局 (7.77, 2018) nobody but the unit sees.  Key tasks: T5-1 led by
    测试甲局 with 市公安局 cooperating, in progress, one milestone overdue since 2018年1月31日 and
    one due 2099; T5-2 led by 测试甲局, completed, its undone milestone is not overdue; T5-3
    led by the hostile unit, not started, its milestone done on time.  Rectification orders to
    测试甲局: one issued and overdue, one closed, one draft.
    """
    jia = _unit(dbsession, "t5jia", "测试甲局", 990)
    hostile = _unit(dbsession, "t5hostile", HOSTILE, 991)
    jia_staff = User(username="t5_jia_staff", display_name="甲局填报员", unit_id=jia.id, unit_role="staff",
                     password_hash="!")
    dbsession.add(jia_staff)
    dbsession.flush()
    staff = people["staff"]
    filings = {
        "approved": _filing(dbsession, workflows, people, staff, "公安视频专网运维", 2018, "100.25",
                            ["submit", "review", "approve"]),
        "blocked": _filing(dbsession, workflows, people, staff, HOSTILE, 2018, "50.10",
                           ["submit", "review", "block_funding"], comment="重复建设，不予拨付"),
        "awaiting": _filing(dbsession, workflows, people, staff, "公安数据中台", 2019, "10.00", ["submit", "review"]),
        "draft": _filing(dbsession, workflows, people, staff, "公安草稿项目", 2018, "7.77", []),
        "jia_approved": _filing(dbsession, workflows, people, jia_staff, "甲局政务云迁移", 2018, "200.00",
                                ["submit", "review", "approve"]),
        "jia_awaiting": _filing(dbsession, workflows, people, jia_staff, "甲局共享接口", 2019, "33.33",
                                ["submit", "review"]),
    }
    gonganju = staff.unit
    tasks = {
        "late": _task(dbsession, workflows, people, "T5-1", "测试任务：接入共享平台", jia, [gonganju],
                      [("完成接入", LONG_AGO, None), ("全面共享", FAR_AHEAD, None)], steps=["start"]),
        "completed": _task(dbsession, workflows, people, "T5-2", "测试任务：清理僵尸系统", jia, [],
                           [("完成清理", LONG_AGO, None)], steps=["start", "complete"]),
        "hostile": _task(dbsession, workflows, people, "T5-3", HOSTILE, hostile, [],
                         [("按期完成", date(2018, 3, 31), date(2018, 3, 30))]),
    }
    report = ProgressReport(name="t5-progress", path="/t5-tasks/T5-1/progress/", title="进展报告",
                            task_id=tasks["late"].id, text="已完成接口开发，正在联调", percentage=40,
                            unit_id=jia.id, owner=jia_staff)
    create_document(dbsession, workflows, report, Actor.of(jia_staff))
    fire(dbsession, workflows, report.id, "submit", Actor.of(jia_staff))
    orders = {
        "late": _order(dbsession, workflows, people, jia, 31, date(2018, 5, 31), ["issue"]),
        "closed": _order(dbsession, workflows, people, jia, 32, date(2018, 5, 31), ["issue"]),
        "draft": _order(dbsession, workflows, people, jia, 33, date(2018, 5, 31), []),
    }
    fire(dbsession, workflows, orders["closed"].id, "respond", Actor.of(jia_staff), comment="已整改")
    fire(dbsession, workflows, orders["closed"].id, "verify", Actor.of(people["reviewer"]))
    dbsession.flush()
    return World(jia, hostile, jia_staff, filings, tasks, orders)
