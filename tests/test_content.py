"""The document services: create, edit with a trace, trash, copy; the domain rules of the transitions."""
from datetime import date
from decimal import Decimal

import pytest

from xietong.codes import check_doc_number
from xietong.models import InformationSystem
from xietong.services import ServiceError, content, history
from xietong.services.listing import documents, worklist
from xietong.services.workflow import Actor, TransitionDenied, available_transitions, fire
from tests.test_workflow_engine import zh


def system(dbsession, workflows, people, title="公安视频监控平台", **fields):
    data = {"title": title, "function": "视频监控", "status": "in_use", "network": "extranet",
            "connected_to_exchange": True, "catalogued": True, **fields}
    return content.create(dbsession, workflows, "information_system", data, Actor.of(people["staff"]))


def filing_data(**overrides):
    data = {"title": "公安大数据平台运维", "year": 2018, "project_type": "om", "funding_kind": "om",
            "amount": Decimal("125.50"), "funding_source": "municipal", "build_mode": "government",
            "description": "年度运维", "systems": [],
            "compliance": {"network": "extranet", "connected_to_exchange": True, "catalogued": True,
                           "duplicates_existing": False}}
    data.update(overrides)
    return data


def test_create_puts_the_document_in_the_unit_folder(dbsession, workflows, people):
    filing = content.create(dbsession, workflows, "filing", filing_data(), Actor.of(people["staff"]))
    assert filing.path == "/units/gonganju/filings/2018-001/" and filing.state == "draft"
    assert filing.amount == Decimal("125.50") and filing.amount_cents == 12550
    assert "公安大数据平台运维" in filing.search_text and "年度运维" in filing.search_text
    second = content.create(dbsession, workflows, "filing", filing_data(), Actor.of(people["staff"]))
    assert second.name == "2018-002"


def test_the_filing_flow_and_the_finance_gate(dbsession, workflows, people):
    zombie = system(dbsession, workflows, people, title="旧版治安系统", zombie_idle=True)
    filing = content.create(dbsession, workflows, "filing", filing_data(systems=[zombie.id]), Actor.of(people["staff"]))
    fire(dbsession, workflows, filing.id, "submit", Actor.of(people["staff"]))
    fire(dbsession, workflows, filing.id, "review", Actor.of(people["reviewer"]))
    with pytest.raises(TransitionDenied) as denied:
        fire(dbsession, workflows, filing.id, "approve", Actor.of(people["finance"]))
    assert "旧版治安系统" in zh(denied.value.reason) and "僵尸" in zh(denied.value.reason)
    options = {a.transition.id: a for a in available_transitions(workflows, filing, Actor.of(people["finance"]))}
    assert not options["approve"].allowed and options["block_funding"].allowed
    fire(dbsession, workflows, filing.id, "block_funding", Actor.of(people["finance"]), comment="关联僵尸系统")
    again = content.copy_filing(dbsession, workflows, filing, Actor.of(people["staff"]))
    assert again.copied_from_id == filing.id and again.state == "draft" and filing.state == "funding_blocked"


def test_edits_leave_a_trace(dbsession, workflows, people):
    filing = content.create(dbsession, workflows, "filing", filing_data(), Actor.of(people["staff"]))
    changes = content.edit(dbsession, filing, {"amount": Decimal("130.00"), "title": filing.title},
                           Actor.of(people["staff"]))
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [("amount", "125.50", "130.00")]
    assert content.edit(dbsession, filing, {"amount": Decimal("130")}, Actor.of(people["staff"])) == []
    content.trash(dbsession, filing, Actor.of(people["head"]))
    assert filing.trashed_at is not None
    assert documents(dbsession, workflows, people["staff"], type_="filing").total == 0
    content.restore(dbsession, filing, Actor.of(people["admin"]))
    assert [c.field for c in content.changes_of(dbsession, filing.id)] == ["amount", "trashed", "trashed"]


def test_a_completed_plan_retires_its_systems(dbsession, workflows, people):
    old = system(dbsession, workflows, people, title="旧系统")
    big = system(dbsession, workflows, people, title="大系统")
    staff = Actor.of(people["staff"])
    plan = content.create(dbsession, workflows, "integration_plan", {
        "title": "2018年整合清单", "year": 2018, "description": "",
        "items": [{"system": old.id, "action": "retire", "target_system": None, "due_date": date(2018, 2, 28),
                   "done_date": None, "evidence": ""},
                  {"system": big.id, "action": "keep", "target_system": None, "due_date": None,
                   "done_date": date(2018, 2, 1), "evidence": "已规范"}]}, staff)
    with pytest.raises(ServiceError):
        content.create(dbsession, workflows, "integration_plan", {"title": "又一份", "year": 2018,
                                                                  "description": "", "items": []}, staff)
    fire(dbsession, workflows, plan.id, "submit", staff)
    fire(dbsession, workflows, plan.id, "confirm", Actor.of(people["reviewer"]))
    with pytest.raises(TransitionDenied) as denied:
        fire(dbsession, workflows, plan.id, "complete", staff)
    assert "旧系统" in zh(denied.value.reason)
    items = content.field_values(plan)["items"]
    items[0]["done_date"] = date(2018, 2, 20)
    content.edit(dbsession, plan, {"items": items}, staff)
    fire(dbsession, workflows, plan.id, "complete", staff)
    dbsession.expire(old)
    assert dbsession.get(InformationSystem, old.id).status == "retired"
    assert [c.field for c in content.changes_of(dbsession, old.id)] == ["status"]


def test_the_rectification_round_trip(dbsession, workflows, people):
    order = content.create(dbsession, workflows, "rectification_order", {
        "title": "关于市工商局僵尸系统的整改通知", "target_unit": people["other_staff"].unit_id,
        "basis": "实施方案第二部分", "findings": "两个系统长期闲置", "due_date": date(2018, 3, 31),
        "doc_number": "黄信办〔2018〕3号"}, Actor.of(people["reviewer"]))
    target = Actor.of(people["other_staff"])
    assert worklist(dbsession, workflows, people["other_staff"]).total == 0  # a draft is not theirs yet
    fire(dbsession, workflows, order.id, "issue", Actor.of(people["reviewer"]))
    assert order.due_at is not None
    assert [d.id for d in worklist(dbsession, workflows, people["other_staff"]).items] == [order.id]
    with pytest.raises(TransitionDenied):
        fire(dbsession, workflows, order.id, "respond", Actor.of(people["staff"]), comment="不是我们")
    fire(dbsession, workflows, order.id, "respond", target, comment="已清理一个")
    fire(dbsession, workflows, order.id, "reject_response", Actor.of(people["reviewer"]), comment="还有一个")
    fire(dbsession, workflows, order.id, "respond", target, comment="两个均已清理")
    fire(dbsession, workflows, order.id, "verify", Actor.of(people["reviewer"]))
    assert order.state == "closed"
    assert [e.transition for e in history.entries(dbsession, order.id)] == [
        None, "issue", "respond", "reject_response", "respond", "verify"]


@pytest.mark.parametrize("raw,ok,hint", [
    ("皖政办〔2017〕69号", True, None),
    ("皖政办[2017]69号", False, "皖政办〔2017〕69号"),
    ("皖政办【2017】69号", False, "皖政办〔2017〕69号"),
    ("皖政办(2017)069号", False, "皖政办〔2017〕69号"),
    ("皖政办〔2017〕第69号", False, "皖政办〔2017〕69号"),
    ("2017-69", False, "皖政办〔2017〕69号"),
])
def test_document_numbers(raw, ok, hint):
    result = check_doc_number(raw)
    assert result.ok == ok
    if hint:
        assert hint in zh(result.reason)


def test_changing_the_target_unit_keeps_other_grants(dbsession, workflows, people):
    from xietong.models import LocalRole

    reviewer = Actor.of(people["reviewer"])
    order = content.create(dbsession, workflows, "rectification_order", {
        "title": "整改通知", "target_unit": people["other_staff"].unit_id, "basis": "依据", "findings": "问题",
        "due_date": date(2018, 3, 31), "doc_number": "黄信办〔2018〕4号"}, reviewer)
    order.local_role_rows.append(LocalRole(unit_id=people["finance"].unit_id, role="contributor"))  # shared by hand
    dbsession.flush()
    content.edit(dbsession, order, {"target_unit": people["staff"].unit_id}, reviewer)
    holders = {r.unit_id for r in order.local_role_rows if r.role == "contributor"}
    assert holders == {people["staff"].unit_id, people["finance"].unit_id}
