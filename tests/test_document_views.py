"""The document pages: listings, add/edit forms, the document page, worklist and bulk actions,
trash and restore, copying a blocked filing — through WebTest with the project's workflows."""
from datetime import date, timedelta
from decimal import Decimal
import re

import pytest
from sqlalchemy import func, select

from xietong.models import Filing, Node
from xietong.services import content, history
from xietong.services.workflow import Actor, fire
from xietong.testing import csrf_token, login
from tests.test_content import filing_data


def as_user(testapp, username):
    testapp.reset()
    login(testapp, username)
    return testapp


def make_filing(dbsession, workflows, people, role="staff", **overrides):
    return content.create(dbsession, workflows, "filing", filing_data(**overrides), Actor.of(people[role]))


def make_system(dbsession, workflows, people, title="公安视频监控平台", role="staff", **fields):
    data = {"title": title, "function": "视频监控", "status": "in_use", "network": "extranet",
            "connected_to_exchange": True, "catalogued": True, **fields}
    return content.create(dbsession, workflows, "information_system", data, Actor.of(people[role]))


def reviewed_filing(dbsession, workflows, people, **overrides):
    filing = make_filing(dbsession, workflows, people, **overrides)
    fire(dbsession, workflows, filing.id, "submit", Actor.of(people["staff"]))
    fire(dbsession, workflows, filing.id, "review", Actor.of(people["reviewer"]))
    return filing


def filing_count(dbsession) -> int:
    return dbsession.scalar(select(func.count(Filing.id)))


def text_of(page, element_id) -> str:
    element = page.html.find(id=element_id)
    assert element is not None, f"no #{element_id} on the page"
    return " ".join(element.get_text(" ").split())


# -- add and edit ------------------------------------------------------------------------------------

def test_creating_a_filing_through_the_form(testapp, dbsession, users):
    as_user(testapp, users["staff"])
    listing = testapp.get("/documents")
    assert listing.html.find(id="new-filing") is not None
    assert listing.html.find(id="new-rectification_order") is None  # staff do not issue orders
    form = testapp.get("/documents/add/filing").forms["deform"]
    form["title"] = "公安大数据平台运维项目"
    form["amount"] = "-1"
    form["project_type"].force_value("nope")
    form["funding_kind"] = "om"
    form["funding_source"] = "municipal"
    form["build_mode"] = "government"
    form["network"] = "extranet"
    form["connected_to_exchange"] = True
    form["catalogued"] = True
    before = filing_count(dbsession)
    page = form.submit("submit", status=200)
    assert "金额必须大于零" in page.text
    assert "“nope”不是以下选项之一" in page.text
    assert filing_count(dbsession) == before  # nothing written

    form = page.forms["deform"]
    form["amount"] = "125.50"
    form["project_type"] = "om"
    page = form.submit("submit", status=303)
    assert filing_count(dbsession) == before + 1
    page = page.follow()
    assert "已创建：公安大数据平台运维项目" in page.text
    assert text_of(page, "state") == "草稿"
    assert text_of(page, "field-amount") == "125.50万元"
    assert text_of(page, "field-project_type") == "运维"
    assert text_of(page, "field-connected_to_exchange") == "是"
    assert text_of(page, "compliance") == "符合共建共享要求。"
    assert "创建" in text_of(page, "history") and users["staff"] in text_of(page, "history")


def test_who_may_create_what(testapp, users):
    as_user(testapp, users["staff"])
    testapp.get("/documents/add/rectification_order", status=403)
    testapp.get("/documents/add/nothing", status=404)
    as_user(testapp, users["finance"])  # finance staff files their own bureau's projects too
    testapp.get("/documents/add/filing", status=200)
    testapp.get("/documents/add/rectification_order", status=403)
    as_user(testapp, users["admin"])  # no unit role: creates nothing
    assert testapp.get("/documents").html.find(id="new-buttons").find("a") is None
    testapp.get("/documents/add/filing", status=403)


def test_an_integration_plan_with_items_through_the_sequence_widget(testapp, dbsession, workflows, people, users):
    old = make_system(dbsession, workflows, people, title="旧版治安系统", zombie_idle=True)
    big = make_system(dbsession, workflows, people, title="公安综合业务平台")
    as_user(testapp, users["staff"])
    page = testapp.get("/documents/add/integration_plan")
    assert "deform-seq" in page.text and "deform.js" in page.text
    token = csrf_token(page)
    fields = [("csrf_token", token), ("title", "公安局2018年整合共享清单"), ("year", "2018"), ("description", ""),
              ("__start__", "items:sequence"),
              ("__start__", "item:mapping"), ("system", str(old.id)), ("action", "integrate"),
              ("target_system", ""), ("due_date", "2018-02-28"), ("done_date", ""), ("evidence", ""),
              ("__end__", "item:mapping"),
              ("__end__", "items:sequence"), ("submit", "submit")]
    page = testapp.post("/documents/add/integration_plan", fields, status=200)
    assert "请选择整合至哪个系统" in page.text  # "integrate" needs a target
    fields[8] = ("target_system", str(big.id))
    page = testapp.post("/documents/add/integration_plan", fields, status=303).follow()
    items = text_of(page, "items")
    assert "旧版治安系统" in items and "公安综合业务平台" in items and "2018年2月28日" in items
    assert "整合" in items and "未完成" in items


def test_editing_a_filing_leaves_a_trace_in_the_timeline(testapp, dbsession, workflows, people, users):
    filing = make_filing(dbsession, workflows, people)
    as_user(testapp, users["staff"])
    form = testapp.get(f"/documents/{filing.id}/edit").forms["deform"]
    assert form["amount"].value == "125.50" and form["project_type"].value == "om"
    assert form["catalogued"].checked
    form["amount"] = "130.00"
    form["funding_source"] = "provincial"
    page = form.submit("submit", status=303).follow()
    flash = page.html.find(class_="alert-success").text
    assert "已保存" in flash and "金额" in flash and "资金来源" in flash
    assert text_of(page, "field-amount") == "130.00万元"
    edit_row = page.html.find("tr", attrs={"data-kind": "edit"})
    row = " ".join(edit_row.get_text(" ").split())
    assert "申请金额（万元） 125.50 → 130.00" in row
    assert "资金来源 市级财政 → 省级" in row
    assert users["staff"] in row and "公安局" in row
    # one timeline: created first, then the edit, then a transition
    fire(dbsession, workflows, filing.id, "submit", Actor.of(people["staff"]), comment="请审核")
    page = testapp.get(f"/documents/{filing.id}")
    kinds = [tr["data-kind"] for tr in page.html.find(id="history").tbody.find_all("tr")]
    assert kinds == ["created", "edit", "transition"]
    # submitted: the unit may no longer edit
    assert page.html.find(id="edit-link") is None
    testapp.get(f"/documents/{filing.id}/edit", status=403)


def test_every_type_saves_unchanged_from_its_prefilled_form(testapp, dbsession, workflows, people, users):
    """The edit form round-trips every type's values (None dates and ids, plan items, units)."""
    system = make_system(dbsession, workflows, people, title="旧版治安系统")
    target = make_system(dbsession, workflows, people, title="公安综合业务平台")
    documents = [
        ("staff", system),
        ("staff", make_filing(dbsession, workflows, people, systems=[system.id])),
        ("staff", content.create(dbsession, workflows, "integration_plan", {
            "title": "公安局整合清单", "year": 2018, "description": "",
            "items": [{"system": system.id, "action": "integrate", "target_system": target.id,
                       "due_date": date(2018, 2, 28), "done_date": None, "evidence": ""},
                      {"system": target.id, "action": "keep", "target_system": None, "due_date": None,
                       "done_date": None, "evidence": "保留"}]}, Actor.of(people["staff"]))),
        ("reviewer", content.create(dbsession, workflows, "rectification_order", {
            "title": "整改通知", "target_unit": people["other_staff"].unit_id, "basis": "", "findings": "",
            "due_date": date(2018, 3, 31), "doc_number": "黄信办〔2018〕3号"}, Actor.of(people["reviewer"]))),
    ]
    for role, document in documents:
        as_user(testapp, users[role])
        form = testapp.get(f"/documents/{document.id}/edit").forms["deform"]
        page = form.submit("submit", status=303).follow()
        assert "未作修改" in page.text, document.type
        assert content.changes_of(dbsession, document.id) == [], document.type


# -- listings ----------------------------------------------------------------------------------------

def test_listing_filters_and_paging(testapp, dbsession, workflows, people, users):
    for number in range(53):
        make_filing(dbsession, workflows, people, title=f"项目{number:02d}")
    make_system(dbsession, workflows, people, title="僵尸系统", zombie_idle=True)
    make_system(dbsession, workflows, people, title="好系统")
    as_user(testapp, users["staff"])
    first = testapp.get("/documents")
    rows = first.html.find(id="documents").tbody.find_all("tr")
    assert len(rows) == 50
    assert "共 55 件" in text_of(first, "total")
    assert "好系统" in rows[0].text and "僵尸系统" in rows[1].text  # newest first
    assert rows[1].find(class_="zombie") is not None and rows[0].find(class_="zombie") is None
    assert "125.50万元" in rows[2].text
    second = testapp.get(first.html.find("a", rel="next")["href"])
    assert len(second.html.find(id="documents").tbody.find_all("tr")) == 5
    systems = testapp.get("/documents?type=information_system")
    assert len(systems.html.find(id="documents").tbody.find_all("tr")) == 2
    assert systems.html.find(id="filter-type").find("option", selected=True)["value"] == "information_system"
    assert "共 53 件" in text_of(testapp.get("/documents?type=filing&state=draft"), "total")
    assert "共 0 件" in text_of(testapp.get("/documents?state=submitted"), "total")
    assert "共 0 件" in text_of(testapp.get("/documents?year=2001"), "total")
    this_year = date.today().year
    assert "共 55 件" in text_of(testapp.get(f"/documents?year={this_year}"), "total")
    assert "共 0 件" in text_of(testapp.get(f"/documents?unit={people['finance'].unit_id}"), "total")
    assert "共 55 件" in text_of(testapp.get(f"/documents?unit={people['staff'].unit_id}"), "total")
    # bad values are ignored, never an error
    for query in ("type=nope", "state=<script>", "unit=abc", "unit=99999999999999999999", "year=99999",
                  "page=-1", "page=abc", "page=99999999999", "type=filing&type=x", "year=%00"):
        page = testapp.get(f"/documents?{query}", status=200)
        assert "<script>" not in page.html.find(id="filters").decode()
    assert "共 55 件" in text_of(testapp.get("/documents?type=nope&unit=abc&year=1"), "total")
    testapp.get("/documents?type=%ff", status=400)  # not UTF-8: a 400 page, not a 500
    assert testapp.get("/documents?page=5").html.find(id="documents").tbody.find("a") is None


def test_long_listings_say_more_than_the_cap_and_still_page_on(testapp, dbsession, workflows, people, users,
                                                                monkeypatch):
    """Pages for people count at most ``listing.COUNT_CAP`` matches (1,000; 3 here)."""
    from xietong.services import listing
    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    monkeypatch.setattr("xietong.views.documents.PER_PAGE", 2)
    monkeypatch.setattr("xietong.views.worklist.PER_PAGE", 2)
    for number in range(7):
        filing = make_filing(dbsession, workflows, people, title=f"项目{number:02d}")
        fire(dbsession, workflows, filing.id, "submit", Actor.of(people["staff"]))
    as_user(testapp, users["staff"])
    first = testapp.get("/documents")
    assert "超过 3 件" in text_of(first, "total")
    seen, page = [], first
    while True:  # "next" leads on past the counted pages until a page is not full
        seen += [a.text for a in page.html.find(id="documents").tbody.find_all("a")]
        following = page.html.find("a", rel="next")
        if following["href"] == "#":
            break
        page = testapp.get(following["href"])
    assert sorted(seen) == [f"项目{n:02d}" for n in range(7)]
    assert "共 0 件" in text_of(testapp.get("/documents?type=information_system"), "total")  # under the cap: exact
    as_user(testapp, users["reviewer"])
    worklist = testapp.get("/worklist")
    assert "超过 3 件" in worklist.html.find(id="worklist-total").text
    assert worklist.html.find("a", rel="next")["href"].endswith("page=2")


def test_my_unit_and_other_units(testapp, dbsession, workflows, people, users):
    ours = make_filing(dbsession, workflows, people, title="公安局的项目")
    theirs = make_filing(dbsession, workflows, people, role="other_staff", title="工商局的项目")
    as_user(testapp, users["staff"])
    mine = testapp.get("/my-unit")
    assert "公安局的项目" in mine.text and "工商局的项目" not in mine.text
    assert mine.html.find(id="filter-unit") is None
    everything = testapp.get("/documents")
    assert "公安局的项目" in everything.text and "工商局的项目" not in everything.text
    testapp.get(f"/documents/{theirs.id}", status=403)
    testapp.get(f"/documents/{theirs.id}/edit", status=403)
    token = csrf_token(everything)
    testapp.post(f"/documents/{theirs.id}/trash", {"csrf_token": token}, status=403)
    as_user(testapp, users["other_staff"])
    assert "工商局的项目" in testapp.get("/my-unit").text
    assert "公安局的项目" not in testapp.get(f"/documents?unit={people['staff'].unit_id}").text
    testapp.get(f"/documents/{ours.id}", status=403)


def test_listing_marks_overdue_orders(testapp, dbsession, workflows, people, users):
    order = content.create(dbsession, workflows, "rectification_order", {
        "title": "关于市工商局僵尸系统的整改通知", "target_unit": people["other_staff"].unit_id,
        "basis": "实施方案", "findings": "两个系统长期闲置", "due_date": date.today() - timedelta(days=3),
        "doc_number": "黄信办〔2018〕3号"}, Actor.of(people["reviewer"]))
    fire(dbsession, workflows, order.id, "issue", Actor.of(people["reviewer"]))
    as_user(testapp, users["other_staff"])  # the unit ordered to rectify sees it, overdue
    row = testapp.get("/documents").html.find("tr", attrs={"data-id": str(order.id)})
    assert row.find(class_="overdue") is not None
    page = testapp.get(f"/documents/{order.id}")
    assert page.html.find(id="overdue-badge") is not None
    assert "黄信办〔2018〕3号" in text_of(page, "field-doc_number")
    assert "工商" in text_of(page, "field-target_unit")
    assert "逾期" in text_of(page, "field-due_date")


# -- the document page ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["staff", "reviewer", "finance"])
def test_the_compliance_panel_for_every_viewer(testapp, dbsession, workflows, people, users, role):
    zombie = make_system(dbsession, workflows, people, title="旧版治安系统", zombie_idle=True, zombie_low_use=True)
    filing = reviewed_filing(dbsession, workflows, people, systems=[zombie.id], compliance={
        "network": "private", "connected_to_exchange": False, "catalogued": True, "duplicates_existing": False})
    as_user(testapp, users[role])
    page = testapp.get(f"/documents/{filing.id}")
    panel = text_of(page, "compliance")
    assert panel.startswith("不符合共建共享要求，不能批准：")
    items = [li.text for li in page.html.find(id="compliance").find_all("li")]
    assert items == ["未接入市数据共享交换平台", "部署在业务专网上，未迁移至电子政务外网或内网",
                     "关联系统“旧版治安系统”为疑似僵尸系统"]
    systems = text_of(page, "field-systems")
    assert "旧版治安系统" in systems and "僵尸" in systems
    if role == "finance":
        approve = page.html.find("form", attrs={"data-transition": "approve"})
        assert approve.button.get("disabled") is not None
        assert "不符合共建共享要求" in approve.text


def test_a_system_shows_the_zombie_criteria_it_meets(testapp, dbsession, workflows, people, users):
    system = make_system(dbsession, workflows, people, title="旧版治安系统", zombie_idle=True, zombie_low_use=True)
    as_user(testapp, users["staff"])
    page = testapp.get(f"/documents/{system.id}")
    assert page.html.find(id="zombie-badge") is not None
    criteria = [li.text for li in page.html.find(id="zombie").find_all("li")]
    assert len(criteria) == 2
    assert text_of(page, "field-status") == "在用"


def test_block_funding_asks_for_the_comment_in_a_modal(testapp, dbsession, workflows, people, users):
    filing = reviewed_filing(dbsession, workflows, people)
    as_user(testapp, users["finance"])
    page = testapp.get(f"/documents/{filing.id}")
    trigger = page.html.find(id="open-block_funding")
    assert trigger["type"] == "button" and trigger["data-bs-toggle"] == "modal"
    assert trigger["data-bs-target"] == "#modal-block_funding"
    modal = page.html.find(id="modal-block_funding")
    assert "modal" in modal["class"] and modal["aria-labelledby"] == "modal-block_funding-title"
    form = modal.find("form")
    assert form["action"].endswith(f"/documents/{filing.id}/transitions/block_funding")
    textarea = form.find("textarea", attrs={"name": "comment"})
    assert textarea.has_attr("required")
    assert form.find("input", attrs={"name": "csrf_token"})["value"]
    assert form.find("button", type="submit") is not None
    # the approve button (no comment needed) stays a plain form outside any modal
    approve = page.html.find("form", attrs={"data-transition": "approve"})
    assert approve.find_parent(class_="modal") is None
    # no inline JavaScript: Bootstrap's data attributes drive the dialog
    assert not [s for s in page.html.find_all("script") if not s.get("src")]
    modal_form = page.forms["transition-block_funding"]
    modal_form["comment"] = "未接入共享交换平台"
    page = modal_form.submit(status=303).follow()
    assert text_of(page, "state") == "不予拨付"
    row = page.html.find(id="history").tbody.find_all("tr")[-1]
    assert "未接入共享交换平台" in row.text and users["finance"] in row.text


def test_edit_delete_and_copy_buttons_follow_permissions(testapp, dbsession, workflows, people, users):
    filing = make_filing(dbsession, workflows, people)
    as_user(testapp, users["staff"])  # the owner of a draft: edit and delete
    page = testapp.get(f"/documents/{filing.id}")
    assert page.html.find(id="edit-link") and page.html.find(id="trash-form") and not page.html.find(id="copy-form")
    assert page.html.find(id="sharing-link") is None  # managing the sharing is the head's
    as_user(testapp, users["head"])
    page = testapp.get(f"/documents/{filing.id}")
    assert page.html.find(id="edit-link") and page.html.find(id="trash-form") and page.html.find(id="sharing-link")
    as_user(testapp, users["auditor"])  # may not even see a draft
    testapp.get(f"/documents/{filing.id}", status=403)


# -- worklist and bulk actions ----------------------------------------------------------------------------

def test_bulk_approval_with_one_refused(testapp, dbsession, workflows, people, users):
    good = [reviewed_filing(dbsession, workflows, people, title=f"合规项目{n}") for n in (1, 2)]
    bad = reviewed_filing(dbsession, workflows, people, title="不合规项目", compliance={
        "network": "extranet", "connected_to_exchange": False, "catalogued": True, "duplicates_existing": False})
    as_user(testapp, users["finance"])
    page = testapp.get("/worklist")
    rows = {tr["data-id"]: tr for tr in page.html.find(id="worklist").tbody.find_all("tr")}
    assert set(rows) == {str(f.id) for f in good + [bad]}
    def allowed(document):
        return {s["data-transition"] for s in rows[str(document.id)].find(class_="allowed").find_all("span")}

    assert allowed(bad) == {"block_funding"}  # approving is refused by the sharing guard
    assert allowed(good[0]) == {"approve", "block_funding"}
    form = page.forms["bulk-form"]
    for checkbox in form.fields["ids"]:
        checkbox.checked = True
    form["transition"] = "approve"
    result = form.submit(status=200)
    outcomes = {tr["data-id"]: tr for tr in result.html.find(id="bulk-results").tbody.find_all("tr")}
    assert outcomes[str(good[0].id)]["data-status"] == "done"
    assert outcomes[str(good[1].id)]["data-status"] == "done"
    assert outcomes[str(bad.id)]["data-status"] == "refused"
    assert "不符合共建共享要求" in outcomes[str(bad.id)].text
    assert "已批准" in outcomes[str(good[0].id)].text
    assert "2 件已完成，1 件被拒绝，0 件冲突" in text_of(result, "bulk-summary")
    assert [d.state for d in (good[0], good[1], bad)] == ["approved", "approved", "reviewed"]
    assert [e.transition for e in history.entries(dbsession, bad.id)] == [None, "submit", "review"]
    assert [e.transition for e in history.entries(dbsession, good[0].id)][-1] == "approve"
    # the refused one is still on the worklist, the others are gone
    remaining = [tr["data-id"] for tr in result.html.find(id="worklist").tbody.find_all("tr")]
    assert remaining == [str(bad.id)]


def test_bulk_reports_conflicts_and_needs_the_comment(testapp, dbsession, workflows, people, users):
    first = reviewed_filing(dbsession, workflows, people, title="项目甲")
    second = reviewed_filing(dbsession, workflows, people, title="项目乙")
    as_user(testapp, users["finance"])
    page = testapp.get("/worklist")
    # someone else blocks the first one meanwhile
    fire(dbsession, workflows, first.id, "block_funding", Actor.of(people["finance"]), comment="不合规")
    form = page.forms["bulk-form"]
    for checkbox in form.fields["ids"]:
        checkbox.checked = True
    form["transition"] = "block_funding"
    result = form.submit(status=200)
    outcomes = {tr["data-id"]: tr["data-status"] for tr in result.html.find(id="bulk-results").tbody.find_all("tr")}
    assert outcomes == {str(first.id): "conflict", str(second.id): "refused"}  # no comment given
    assert "必须填写意见" in result.html.find("tr", attrs={"data-id": str(second.id)}).text
    assert second.state == "reviewed"
    token = csrf_token(result)
    result = testapp.post("/worklist/bulk", [("csrf_token", token), ("ids", str(second.id)),
                                             ("transition", "block_funding"), ("comment", "统一不予拨付")])
    assert result.html.find("tr", attrs={"data-id": str(second.id)})["data-status"] == "done"
    assert history.entries(dbsession, second.id)[-1].comment == "统一不予拨付"


def test_bulk_rejects_what_the_user_may_not_see(testapp, dbsession, workflows, people, users):
    theirs = make_filing(dbsession, workflows, people, role="other_staff")
    as_user(testapp, users["staff"])
    token = csrf_token(testapp.get("/worklist"))
    result = testapp.post("/worklist/bulk", [("csrf_token", token), ("ids", str(theirs.id)), ("ids", "x"),
                                             ("ids", "999999999"), ("transition", "submit")])
    statuses = [tr["data-status"] for tr in result.html.find(id="bulk-results").tbody.find_all("tr")]
    assert statuses == ["refused", "refused"]
    assert theirs.state == "draft"
    page = testapp.post("/worklist/bulk", {"csrf_token": token}, status=303).follow()
    assert "请至少选择一件文档和一项操作" in page.text
    testapp.post("/worklist/bulk", {"ids": str(theirs.id), "transition": "submit"}, status=400)  # no CSRF token


# -- trash, restore, copy -----------------------------------------------------------------------------

def test_trash_and_restore_by_an_administrator_only(testapp, dbsession, workflows, people, users):
    filing = make_filing(dbsession, workflows, people, title="作废的项目")
    as_user(testapp, users["staff"])
    testapp.get("/trash", status=403)
    page = testapp.get(f"/documents/{filing.id}")
    page = page.forms["trash-form"].submit(status=303)
    assert page.location.endswith("/documents")
    assert "已移入回收站" in page.follow().text
    testapp.get(f"/documents/{filing.id}", status=404)
    token = csrf_token(testapp.get("/documents"))
    testapp.post(f"/documents/{filing.id}/restore", {"csrf_token": token}, status=403)
    as_user(testapp, users["admin"])
    trash = testapp.get("/trash")
    assert "作废的项目" in text_of(trash, "trash")
    page = trash.forms[f"restore-{filing.id}"].submit(status=303).follow()  # back to the trash:
    assert "已恢复" in page.text and "作废的项目" not in text_of(page, "trash")  # another unit's draft
    assert filing.trashed_at is None
    as_user(testapp, users["staff"])
    page = testapp.get(f"/documents/{filing.id}")
    kinds = [tr["data-kind"] for tr in page.html.find(id="history").tbody.find_all("tr")]
    assert kinds == ["created", "trash", "restore"]
    assert "移入回收站" in text_of(page, "history")
    token = csrf_token(page)
    testapp.post(f"/documents/{filing.id}/restore", {"csrf_token": token}, status=403)
    as_user(testapp, users["admin"])
    token = csrf_token(testapp.get("/trash"))
    testapp.post(f"/documents/{filing.id}/restore", {"csrf_token": token}, status=404)  # not in the trash
    testapp.post("/documents/abc/restore", {"csrf_token": token}, status=404)


def test_only_owner_or_head_may_trash_a_draft(testapp, dbsession, workflows, people, users):
    filing = make_filing(dbsession, workflows, people, role="head")
    as_user(testapp, users["staff"])  # same unit, not the owner, not the head
    page = testapp.get(f"/documents/{filing.id}")
    assert page.html.find(id="trash-form") is None
    testapp.post(f"/documents/{filing.id}/trash", {"csrf_token": csrf_token(page)}, status=403)
    assert filing.trashed_at is None


def test_copying_a_blocked_filing(testapp, dbsession, workflows, people, users):
    filing = reviewed_filing(dbsession, workflows, people, title="被否决的项目")
    as_user(testapp, users["staff"])
    page = testapp.get(f"/documents/{filing.id}")
    assert page.html.find(id="copy-form") is None  # not blocked yet
    testapp.post(f"/documents/{filing.id}/copy", {"csrf_token": csrf_token(page)}, status=403)
    fire(dbsession, workflows, filing.id, "block_funding", Actor.of(people["finance"]), comment="未接入平台")
    as_user(testapp, users["reviewer"])  # may view, may not start it again
    page = testapp.get(f"/documents/{filing.id}")
    assert page.html.find(id="copy-form") is None
    testapp.post(f"/documents/{filing.id}/copy", {"csrf_token": csrf_token(page)}, status=403)
    as_user(testapp, users["staff"])
    page = testapp.get(f"/documents/{filing.id}").forms["copy-form"].submit(status=303)
    new_id = int(re.search(r"/documents/(\d+)$", page.location).group(1))
    assert new_id != filing.id
    page = page.follow()
    assert text_of(page, "state") == "草稿"
    assert "被否决的项目" in text_of(page, "field-copied_from")
    new = dbsession.get(Node, new_id)
    assert new.copied_from_id == filing.id and new.amount == Decimal("125.50")
    assert filing.state == "funding_blocked"
