"""The documents JSON API end to end: each role's view of the filing flow, every denial, bad input.

Requests go through WebTest with bearer tokens from ``POST /api/auth/token``; the
services underneath are the same as the HTML pages'.  ``test_concurrent_fires_*`` races
real threads and committed transactions through the WSGI application, then removes
what it committed.
"""
from collections import Counter
import threading

import pytest
import webtest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from xietong.db import write_engine
from xietong.models import ApiToken, Node
from xietong.models.meta import Base
from xietong.services import content
from xietong.services.workflow import Actor
from xietong.testing import PASSWORD, get_user
from xietong.tokens import issue_token

ROUTES = [("GET", "/api/types"), ("GET", "/api/documents"), ("POST", "/api/documents"),
          ("GET", "/api/documents/1"), ("PATCH", "/api/documents/1"), ("DELETE", "/api/documents/1"),
          ("GET", "/api/documents/1/@workflow"), ("POST", "/api/documents/1/@workflow/submit"),
          ("GET", "/api/worklist")]


class Api:
    """WebTest with one user's bearer token; ``status`` as in WebTest (default: 2xx)."""

    def __init__(self, testapp, token):
        self.app, self.token = testapp, token

    def _headers(self, headers=None, version=None):
        result = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        if version is not None:
            result["If-Match"] = str(version)
        return result

    def get(self, url, status=200, headers=None):
        return self.app.get(url, headers=self._headers(headers), status=status)

    def post(self, url, body=None, status=200, headers=None, version=None):
        headers = self._headers(headers, version)
        if isinstance(body, bytes):
            return self.app.post(url, body, headers=headers, content_type="application/json", status=status)
        return self.app.post_json(url, body if body is not None else {}, headers=headers, status=status)

    def patch(self, url, body, status=200, headers=None, version=None):
        headers = self._headers(headers, version)
        if isinstance(body, bytes):
            return self.app.patch(url, body, headers=headers, content_type="application/json", status=status)
        return self.app.patch_json(url, body, headers=headers, status=status)

    def delete(self, url, status=204, headers=None, version=None):
        return self.app.delete(url, headers=self._headers(headers, version), status=status)

    # -- the document calls the tests repeat ---------------------------------------------------
    def create(self, body, status=201):
        return self.post("/api/documents", body, status=status)

    def fire(self, document_id, transition, comment=None, status=200, version=None):
        body = {} if comment is None else {"comment": comment}
        return self.post(f"/api/documents/{document_id}/@workflow/{transition}", body, status=status,
                         version=version)

    def workflow(self, document_id, status=200):
        return self.get(f"/api/documents/{document_id}/@workflow", status=status)

    def listed(self, **filters) -> list[int]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        return [item["id"] for item in self.get(f"/api/documents?{query}").json["items"]]


@pytest.fixture
def api(testapp, users):
    """``api[role]``: an :class:`Api` logged in as the test user holding ``role``."""
    clients = {}

    class Clients(dict):
        def __missing__(self, role):
            token = testapp.post_json("/api/auth/token", {"username": users[role], "password": PASSWORD}).json
            clients[role] = Api(testapp, token["token"])
            return clients[role]

    return Clients()


def filing_body(**overrides) -> dict:
    body = {"type": "filing", "title": "公安大数据平台运维", "year": 2018, "project_type": "om",
            "funding_kind": "om", "amount": "125.5", "funding_source": "municipal", "build_mode": "government",
            "description": "年度运维", "systems": [],
            "compliance": {"network": "extranet", "connected_to_exchange": True, "catalogued": True,
                           "duplicates_existing": False}}
    body.update(overrides)
    return body


def system_body(**overrides) -> dict:
    body = {"type": "information_system", "title": "旧版治安系统", "function": "治安管理", "status": "in_use",
            "network": "extranet", "connected_to_exchange": True, "catalogued": True}
    body.update(overrides)
    return body


def error_of(response) -> dict:
    assert set(response.json) == {"error"}, response.json
    error = response.json["error"]
    assert set(error) == {"type", "message", "details"}
    return error


def history_of(client, document_id) -> list[tuple]:
    return [(e["transition"], e["from"], e["to"], e["actor"]["username"] if e["actor"] else None, e["comment"])
            for e in client.workflow(document_id).json["history"]]


# -- types, authentication, routes ---------------------------------------------------------------------

def test_types_name_each_type_in_chinese_with_its_workflow(api):
    answer = api["staff"].get("/api/types").json
    assert answer["total"] == 8 == len(answer["items"])
    by_id = {t["id"]: t for t in answer["items"]}
    assert by_id["filing"] == {"id": "filing", "title": "项目备案", "workflow": "filing", "addable": True}
    assert by_id["rectification_order"]["workflow"] == "rectification"
    assert not by_id["rectification_order"]["addable"]
    assert by_id["key_task"] == {"id": "key_task", "title": "重点任务", "workflow": "key_task", "addable": False}
    assert by_id["progress_report"]["addable"] and by_id["annual_report"]["addable"]
    assert not by_id["aggregate_report"]["addable"]
    reviewer = {t["id"]: t for t in api["reviewer"].get("/api/types").json["items"]}
    assert reviewer["rectification_order"]["addable"] and reviewer["aggregate_report"]["addable"]
    assert not reviewer["key_task"]["addable"]


@pytest.mark.parametrize("method,url", ROUTES)
def test_every_route_needs_a_bearer_token(testapp, method, url):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dDpw"}):
        response = testapp.request(url, method=method, headers=headers, status=401)
        assert error_of(response)["type"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_session_cookie_does_not_open_the_api(testapp, users):
    from xietong.testing import login

    login(testapp, users["staff"])
    testapp.get("/api/documents", status=401)


def test_other_methods_are_405(api):
    response = api["staff"].app.put("/api/documents/1", headers=api["staff"]._headers(), status=405)
    assert error_of(response)["type"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET, PATCH, DELETE"


# -- the filing flow, role by role --------------------------------------------------------------------

def test_the_filing_flow_end_to_end(api):
    staff, other, reviewer, finance, auditor, leader = (api[r] for r in (
        "staff", "other_staff", "reviewer", "finance", "auditor", "leader"))

    created = staff.create(filing_body())
    filing = created.json
    assert created.status_int == 201 and created.location.endswith(f"/api/documents/{filing['id']}")
    assert filing["state"] == {"id": "draft", "title": "草稿"} and filing["version"] == 1
    assert filing["amount"] == "125.50" and filing["unit"]["code"] == "gonganju"
    url = f"/api/documents/{filing['id']}"

    # a draft is its unit's business only
    for outsider in (other, reviewer, finance, auditor, leader):
        denied = error_of(outsider.get(url, status=403))
        assert denied["type"] == "forbidden" and denied["details"]["permission"] == "view"
        assert "填报员" in denied["message"]  # the roles that could see it
        assert filing["id"] not in outsider.listed()
        outsider.workflow(filing["id"], status=403)
    assert filing["id"] in staff.listed() and filing["id"] in api["head"].listed(type="filing")
    assert error_of(other.fire(filing["id"], "submit", status=403))["type"] == "forbidden"

    staff.fire(filing["id"], "submit")
    assert error_of(other.get(url, status=403))["details"]["permission"] == "view"
    assert error_of(other.fire(filing["id"], "submit", status=403))["details"]["permission"] == "view"
    finance.get(url, status=403)  # not before review
    assert reviewer.get(url).json["state"]["id"] == "submitted"
    auditor.get(url)

    denied = error_of(staff.fire(filing["id"], "review", status=403))
    assert "审核员" in denied["message"] and denied["details"]["kind"] == "role"
    assert denied["details"]["transition"] == "review"

    missing = error_of(reviewer.fire(filing["id"], "return", status=400))
    assert "必须填写意见" in missing["message"] and "comment" in missing["details"]["fields"]
    returned = reviewer.fire(filing["id"], "return", comment="请补充运维合同").json
    assert (returned["from"], returned["to"], returned["comment"]) == ("submitted", "returned", "请补充运维合同")
    assert returned["document"]["state"]["id"] == "returned"

    staff.fire(filing["id"], "submit")
    reviewer.fire(filing["id"], "review")
    assert finance.get(url).json["state"]["id"] == "reviewed"
    leader.get(url, status=403)
    error_of(staff.fire(filing["id"], "approve", status=403))

    approved = finance.fire(filing["id"], "approve").json
    assert approved["to"] == "approved" and approved["actor"]["username"] == "t_finance"
    assert approved["roles"] == ["authenticated", "finance"]  # staff only in its own unit
    assert leader.get(url).json["state"] == {"id": "approved", "title": "已批准"}
    assert error_of(finance.fire(filing["id"], "approve", status=409))["type"] == "conflict"

    assert history_of(staff, filing["id"]) == [
        (None, None, "draft", "t_staff", ""),
        ("submit", "draft", "submitted", "t_staff", ""),
        ("return", "submitted", "returned", "t_reviewer", "请补充运维合同"),
        ("submit", "returned", "submitted", "t_staff", ""),
        ("review", "submitted", "reviewed", "t_reviewer", ""),
        ("approve", "reviewed", "approved", "t_finance", ""),
    ]
    assert staff.get(url).json["version"] == 6


def test_a_non_compliant_filing_is_blocked_not_approved(api):
    staff, reviewer, finance = api["staff"], api["reviewer"], api["finance"]
    zombie = staff.create(system_body(zombie_idle=True)).json
    filing = staff.create(filing_body(title="治安系统升级", systems=[zombie["id"]],
                                      compliance={"network": "extranet", "connected_to_exchange": True,
                                                  "catalogued": False})).json
    assert filing["systems"] == [zombie["id"]] and filing["compliance"]["catalogued"] is False
    staff.fire(filing["id"], "submit")
    reviewer.fire(filing["id"], "review")

    options = {t["id"]: t for t in finance.workflow(filing["id"]).json["transitions"]}
    assert not options["approve"]["allowed"] and "不符合共建共享要求" in options["approve"]["reason"]
    assert options["block_funding"]["allowed"] and options["block_funding"]["comment"] == "required"

    denied = error_of(finance.fire(filing["id"], "approve", status=403))
    assert denied["message"].startswith("不符合共建共享要求")
    assert "数据资源未编目" in denied["message"] and "旧版治安系统" in denied["message"]
    assert denied["details"] == {"transition": "approve", "kind": "guard", "guard": "sharing_compliant"}

    error_of(finance.fire(filing["id"], "block_funding", status=400))
    error_of(finance.fire(filing["id"], "block_funding", comment="   ", status=400))
    blocked = finance.fire(filing["id"], "block_funding", comment="关联僵尸系统，数据未编目").json
    assert blocked["to"] == "funding_blocked"
    assert [h[0] for h in history_of(staff, filing["id"])] == [None, "submit", "review", "block_funding"]
    assert finance.workflow(filing["id"]).json["transitions"] == []


def test_the_worklist_lists_what_each_role_can_do_now(api):
    staff, reviewer, finance = api["staff"], api["reviewer"], api["finance"]
    good = staff.create(filing_body()).json["id"]
    bad = staff.create(filing_body(title="重复建设", compliance={"network": "private"})).json["id"]

    mine = {i["id"]: i["transitions"] for i in staff.get("/api/worklist").json["items"]}
    assert mine[good] == ["submit"] and mine[bad] == ["submit"]
    assert reviewer.get("/api/worklist").json["total"] == 0

    for document in (good, bad):
        staff.fire(document, "submit")
    work = reviewer.get("/api/worklist").json
    assert work["total"] == 2 and {i["id"]: i["transitions"] for i in work["items"]} == {
        good: ["review", "return"], bad: ["review", "return"]}
    assert finance.get("/api/worklist").json["items"] == []
    assert staff.get("/api/worklist").json["total"] == 0

    for document in (good, bad):
        reviewer.fire(document, "review")
    work = {i["id"]: i for i in finance.get("/api/worklist").json["items"]}
    assert work[good]["transitions"] == ["approve", "block_funding"]
    assert work[bad]["transitions"] == ["block_funding"]  # the guard is evaluated per document
    assert work[bad]["state"] == {"id": "reviewed", "title": "已审核"}


# -- reading -----------------------------------------------------------------------------------------

def test_a_document_reads_with_every_field(api):
    staff = api["staff"]
    document_id = staff.create(filing_body()).json["id"]
    response = staff.get(f"/api/documents/{document_id}")
    document = response.json
    assert response.headers["ETag"] == '"1"'
    assert set(document) == {"@id", "id", "type", "title", "state", "version", "unit", "owner", "path", "created",
                             "modified", "due", *content.TYPES["filing"].fields}
    assert document["owner"]["username"] == "t_staff"
    assert document["unit"] == {"id": document["unit"]["id"], "code": "gonganju", "name": "黄山市公安局"}
    assert document["path"] == "/units/gonganju/filings/2018-001/"
    assert document["created"].endswith("+00:00") and document["amount"] == "125.50"
    assert staff.listed(type="filing", state="draft") == [document_id]
    assert staff.listed(type="information_system") == []
    assert staff.listed(state="submitted") == []
    assert staff.listed(unit=document["unit"]["id"], year=document["created"][:4]) == [document_id]
    page = staff.get("/api/documents?limit=1000&offset=0").json
    assert page["limit"] == 200 and page["total"] == 1


@pytest.mark.parametrize("path", ["999999", "abc", "0", "-1", "99999999999999999999999", "1.5", "%20"])
def test_missing_documents_are_404(api, path):
    assert error_of(api["staff"].get(f"/api/documents/{path}", status=404))["type"] == "not_found"
    api["staff"].get(f"/api/documents/{path}/@workflow", status=404)
    api["staff"].fire(path, "submit", status=404)


@pytest.mark.parametrize("query", ["type=memo", "state=nowhere", "unit=abc", "unit=1180591620717411303424",
                                   "unit=-1", "year=1", "limit=0", "offset=x", "type=%00", "state=draft%00",
                                   "type=%ff"])
def test_bad_listing_filters_are_400(api, query):
    assert error_of(api["staff"].get(f"/api/documents?{query}", status=400))["type"] == "bad_request"


# -- creating: who, and validation -----------------------------------------------------------------------

def test_who_may_create_what(api, testapp):
    units = {u["code"]: u["id"] for u in api["staff"].get("/api/units").json["items"]}
    order = {"type": "rectification_order", "title": "关于整改公安视频系统的通知", "target_unit": units["gonganju"],
             "basis": "整合共享方案", "findings": "未接入交换平台", "due_date": "2018-01-31",
             "doc_number": "黄信办〔2018〕3号"}
    denied = error_of(api["staff"].create(order, status=403))
    assert denied["type"] == "forbidden" and "审核员" in denied["message"] and "领导小组" in denied["message"]
    created = api["reviewer"].create(order).json
    assert created["target_unit"] == units["gonganju"] and created["due_date"] == "2018-01-31"
    assert created["unit"]["code"] == "xinxiban"
    api["leader"].create({**order, "doc_number": "黄信办〔2018〕4号"})
    assert "填报员" in error_of(api["admin"].create(filing_body(), status=403))["message"]
    assert api["finance"].create(filing_body()).json["unit"]["code"] == "caizhengju"  # staff of their own unit
    assert api["head"].create(system_body()).json["state"]["id"] == "recorded"


@pytest.mark.parametrize("overrides,field,message", [
    ({"amount": "-5"}, "amount", "金额必须大于零"),
    ({"amount": 0}, "amount", "金额必须大于零"),
    ({"amount": "abc"}, "amount", None),
    ({"amount": "NaN"}, "amount", None),
    ({"amount": "1180591620717411303424"}, "amount", None),
    ({"amount": 2**70}, "amount", None),
    ({"project_type": "x"}, "project_type", "不是以下选项之一"),
    ({"compliance": None}, "compliance", None),
    ({"compliance": {"catalogued": True}}, "compliance.network", "必填"),
    ({"compliance": {"network": "extranet", "catalogued": "maybe"}}, "compliance.catalogued", None),
    ({"year": 2**70}, "year", None),
    ({"year": "二〇一八"}, "year", None),
    ({"systems": [2**70]}, "systems", None),
    ({"systems": "all"}, "systems", None),
    ({"title": ""}, "title", "必填"),
    ({"title": 12}, "title", None),
    ({"title": "x" * 301}, "title", None),
    ({"title": "运维\x00平台"}, "title", "不允许包含控制字符"),
    ({"title": "运维\ud800平台"}, "title", None),
    ({"description": "a\x07b"}, "description", "不允许包含控制字符"),
    ({"ammount": "5"}, "ammount", "未知字段"),
    ({"state": "approved"}, "state", "未知字段"),
])
def test_fields_are_validated_one_by_one(api, overrides, field, message):
    error = error_of(api["staff"].create(filing_body(**overrides), status=400))
    assert error["type"] == "invalid" and field in error["details"]["fields"], error
    if message:
        assert message in error["details"]["fields"][field]


def test_systems_of_another_unit_are_refused(api):
    foreign = api["other_staff"].create(system_body(title="工商登记系统")).json["id"]
    error = error_of(api["staff"].create(filing_body(systems=[foreign]), status=400))
    assert "不是本单位的系统" in error["details"]["fields"]["systems"]


def test_the_type_must_be_known(api):
    for body in ({"title": "无类型"}, {"type": "memo"}, {"type": ["filing"]}, {"type": None}):
        assert "type" in error_of(api["staff"].create(body, status=400))["details"]["fields"]


MALFORMED = [b"", b"[]", b'"filing"', b"{", b"not json", b"\xff\xfe", b"1180591620717411303424", b"null",
             b'{"amount": NaN}', b'{"amount": Infinity}', b'{"title": "\\u0000"}', b'{"\\u0000": 1}',
             b"[" * 100_000, b'{"a":' * 50 + b"1" + b"}" * 50]


@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_bodies_are_400_never_500(api, body):
    staff = api["staff"]
    document = staff.create(filing_body()).json
    url = f"/api/documents/{document['id']}"
    for response in (staff.post("/api/documents", body, status=400),
                     staff.patch(url, body, status=400, version=document["version"])):
        assert error_of(response)["type"] in ("bad_request", "invalid")
    if body:  # an empty body is a transition without a comment
        error_of(staff.post(f"{url}/@workflow/submit", body, status=400))


ODD_VALUES = [None, True, 2**70, 1.5, "", "\x00", "\ud800", "NaN", [{}], {"a": 1}, "9" * 5000]


def test_odd_values_in_any_field_of_any_type_are_400_never_500(api, key_tasks):
    staff, reviewer = api["staff"], api["reviewer"]
    unit = {u["code"]: u["id"] for u in staff.get("/api/units").json["items"]}["gonganju"]
    system = staff.create(system_body()).json["id"]
    bodies = [(staff, filing_body()), (staff, system_body(title="另一个系统")),
              (staff, {"type": "integration_plan", "title": "2018年整合清单", "year": 2018,
                       "items": [{"system": system, "action": "retire", "due_date": "2018-03-01"}]}),
              (reviewer, {"type": "rectification_order", "title": "整改通知", "target_unit": unit, "basis": "方案",
                          "findings": "未接入", "due_date": "2018-01-31", "doc_number": "黄信办〔2018〕3号"}),
              (staff, {"type": "progress_report", "title": "进展", "task": key_tasks["1"].id, "percentage": 30,
                       "text": "已登记"}),
              (staff, {"type": "annual_report", "title": "年度报告", "year": 2018, "catalogue": "目录",
                       "platform": "接入", "sharing": "共享"}),
              (reviewer, {"type": "aggregate_report", "title": "汇总报告", "year": 2018, "summary": "汇总"})]
    # a key task is never created, only corrected by the information office
    task_url, task_version = f"/api/documents/{key_tasks['1'].id}", key_tasks["1"].version
    for field in ("title", "body"):
        for value in ODD_VALUES:
            edited = reviewer.patch(task_url, {field: value}, version=task_version, status="*")
            assert edited.status_int in (200, 400), ("key_task", field, value, edited.text)
            task_version = edited.json["version"] if edited.status_int == 200 else task_version
    refused = Counter()
    for client, body in bodies:
        document = client.create(body).json
        url, version = f"/api/documents/{document['id']}", document["version"]
        for field in (k for k in body if k != "type"):
            for value in ODD_VALUES:
                created = client.post("/api/documents", {**body, field: value}, status="*")
                assert created.status_int in (201, 400), (body["type"], field, value, created.text)
                if created.status_int == 201:  # e.g. an empty description: tidy up (one plan a year)
                    (api["head"] if client is staff else client).delete(created.json["@id"])
                edited = client.patch(url, {field: value}, version=version, status="*")
                assert edited.status_int in (200, 400), (body["type"], field, value, edited.text)
                version = edited.json["version"] if edited.status_int == 200 else version
                refused[body["type"]] += created.status_int == 400
    assert all(refused[t] > 30 for t in content.CREATORS), refused


@pytest.mark.parametrize("body", [{"comment": 5}, {"comment": ["a"]}, {"comment": "意见\x00"},
                                  {"comment": "长" * 2001}, {"note": "x"}])
def test_transition_bodies_are_checked(api, body):
    document_id = api["staff"].create(filing_body()).json["id"]
    error_of(api["staff"].post(f"/api/documents/{document_id}/@workflow/submit", body, status=400))
    assert [h[0] for h in history_of(api["staff"], document_id)] == [None]


def test_unknown_transitions_are_400(api):
    document_id = api["staff"].create(filing_body()).json["id"]
    assert error_of(api["staff"].fire(document_id, "publish", status=400))["type"] == "invalid"
    api["staff"].fire(document_id, "%00", status=400)


# -- editing --------------------------------------------------------------------------------------------

def test_patch_needs_the_current_version(api):
    staff = api["staff"]
    document = staff.create(filing_body()).json
    url = f"/api/documents/{document['id']}"
    staff.fire(document["id"], "submit")
    history_before = staff.workflow(document["id"]).json["history"]
    api["reviewer"].fire(document["id"], "return", comment="金额有误")
    reviewer_history = staff.workflow(document["id"]).json["history"]
    assert len(reviewer_history) == len(history_before) + 1

    assert error_of(staff.patch(url, {"amount": "130"}, status=428))["type"] == "precondition_required"
    for bad in ("abc", "W/\"3\"", "1180591620717411303424", "-1"):
        error_of(staff.patch(url, {"amount": "130"}, version=bad, status=400))
    stale = error_of(staff.patch(url, {"amount": "130"}, version=1, status=412))
    assert stale["type"] == "precondition_failed" and stale["details"] == {"version": 3}

    edited = staff.patch(url, {"amount": "130"}, version=3)
    assert edited.json["amount"] == "130.00" and edited.json["version"] == 4
    assert edited.headers["ETag"] == '"4"'
    assert staff.patch(url, {"amount": 131}, headers={"If-Match": '"4"'}).json["version"] == 5
    assert staff.get(url).json["amount"] == "131.00"
    # a field change is not a workflow event
    assert staff.workflow(document["id"]).json["history"] == reviewer_history
    assert [(e["transition"], e["comment"]) for e in reviewer_history] == [
        (None, ""), ("submit", ""), ("return", "金额有误")]


def test_patch_merges_into_the_current_values(api):
    staff = api["staff"]
    document = staff.create(filing_body()).json
    url = f"/api/documents/{document['id']}"
    edited = staff.patch(url, {"compliance": {"duplicates_existing": True}, "title": "  公安云运维  "},
                         version=1).json
    assert edited["compliance"] == {"network": "extranet", "connected_to_exchange": True, "catalogued": True,
                                    "duplicates_existing": True}
    assert edited["title"] == "公安云运维" and edited["amount"] == "125.50" and edited["description"] == "年度运维"
    unchanged = staff.patch(url, {"year": 2018}, version=2).json
    assert unchanged["version"] == 2  # nothing changed, nothing saved
    error = error_of(staff.patch(url, {"amount": "-1", "id": 5}, version=2, status=400))
    assert set(error["details"]["fields"]) == {"id"}
    error = error_of(staff.patch(url, {"amount": "-1", "compliance": {"network": "lan"}}, version=2, status=400))
    assert set(error["details"]["fields"]) == {"amount", "compliance.network"}
    assert staff.get(url).json["version"] == 2


def test_who_may_patch_follows_the_state(api):
    staff, reviewer = api["staff"], api["reviewer"]
    document = staff.create(filing_body()).json
    url = f"/api/documents/{document['id']}"
    error_of(api["other_staff"].patch(url, {"amount": "1"}, version=1, status=403))
    staff.fire(document["id"], "submit")
    denied = error_of(staff.patch(url, {"amount": "1"}, version=2, status=403))
    assert denied["details"]["permission"] == "edit" and denied["details"]["needed"] == []
    error_of(reviewer.patch(url, {"amount": "1"}, version=2, status=403))
    reviewer.fire(document["id"], "review")
    error_of(staff.patch(url, {"amount": "1"}, version=3, status=403))
    assert reviewer.patch(url, {"amount": "99.9"}, version=3).json["amount"] == "99.90"


# -- deleting ---------------------------------------------------------------------------------------------

def test_delete_moves_to_the_trash_when_the_state_allows(api):
    staff, head, other = api["staff"], api["head"], api["other_staff"]
    first = staff.create(filing_body()).json["id"]
    second = staff.create(filing_body(title="第二个")).json["id"]
    error_of(other.delete(f"/api/documents/{first}", status=403))
    error_of(staff.delete(f"/api/documents/{first}", version=7, status=412))
    staff.delete(f"/api/documents/{first}")  # the owner, in draft
    assert error_of(staff.get(f"/api/documents/{first}", status=404))["type"] == "not_found"
    staff.delete(f"/api/documents/{first}", status=404)
    assert first not in staff.listed()

    staff.fire(second, "submit")
    denied = error_of(head.delete(f"/api/documents/{second}", status=403))
    assert denied["details"]["permission"] == "delete"
    api["reviewer"].fire(second, "return", comment="退回")
    head.delete(f"/api/documents/{second}", version=3)
    assert staff.listed() == []


# -- races ----------------------------------------------------------------------------------------------

def test_two_fires_with_the_same_version_one_wins(api):
    staff = api["staff"]
    document_id = staff.create(filing_body()).json["id"]
    assert staff.fire(document_id, "submit", version=1).json["document"]["version"] == 2
    lost = error_of(staff.fire(document_id, "submit", version=1, status=409))
    assert lost["type"] == "conflict" and lost["details"]["version"] == 2
    assert [h[0] for h in history_of(staff, document_id)] == [None, "submit"]


def _purge(engine, node_id: int, token_ids: list[int]) -> None:
    """Delete what a committed test wrote: every row keyed by the node's id, then its tokens."""
    node_columns = {Node.__table__.c.id}
    changed = True
    while changed:  # columns holding a node id: foreign keys to nodes.id, to subclass ids, ...
        changed = False
        for table in Base.metadata.tables.values():
            for column in table.columns:
                if column not in node_columns and any(fk.column in node_columns for fk in column.foreign_keys):
                    node_columns.add(column)
                    changed = True
    with Session(bind=write_engine(engine)) as session:
        for table in reversed(Base.metadata.sorted_tables):
            for column in (c for c in table.columns if c in node_columns):
                session.execute(delete(table).where(column == node_id))
        session.execute(delete(ApiToken).where(ApiToken.id.in_(token_ids)))
        session.commit()


def test_concurrent_fires_through_the_api_one_wins(app, engine, users):
    clients = 8
    with Session(bind=write_engine(engine)) as session:
        staff = get_user(session, users["staff"])
        data = content.schema_for(session, "filing", staff.unit_id, csrf=False).deserialize(
            {k: v for k, v in filing_body().items() if k != "type"})
        filing = content.create(session, app.registry["workflows"], "filing", data, Actor.of(staff))
        tokens = [issue_token(session, staff) for _ in range(clients)]
        session.commit()
        document_id, token_ids = filing.id, [row.id for _token, row in tokens]
    try:
        barrier = threading.Barrier(clients)
        outcomes = []

        def client(token):
            http = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1"})
            barrier.wait()
            response = http.post_json(f"/api/documents/{document_id}/@workflow/submit", {},
                                      headers={"Authorization": f"Bearer {token}", "If-Match": "1"}, status="*")
            outcomes.append(response.status_int)

        threads = [threading.Thread(target=client, args=(token,)) for token, _row in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert Counter(outcomes) == {200: 1, 409: clients - 1}, outcomes
        with Session(bind=engine) as session:
            from xietong.services import history

            assert [e.transition for e in history.entries(session, document_id)] == [None, "submit"]
            assert session.scalar(select(Node.version).where(Node.id == document_id)) == 2
    finally:
        _purge(engine, document_id, token_ids)
