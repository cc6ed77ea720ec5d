"""Sharing (共享设置): local roles granted and revoked by the document's manager, and what they open."""
from datetime import date

import pytest
from sqlalchemy import select

from xietong.models import AuditEntry, LocalRole
from xietong.security import permits
from xietong.services import ServiceError, content, sharing
from xietong.services.listing import documents
from xietong.services.workflow import SYSTEM, Actor, TransitionDenied, fire
from xietong.testing import csrf_token, login, make_note
from tests.test_content import filing_data


@pytest.fixture
def filing(dbsession, workflows, people):
    return content.create(dbsession, workflows, "filing", filing_data(), Actor.of(people["staff"]))


@pytest.fixture
def order(dbsession, workflows, people):
    """An issued rectification order of the information office to the industry and commerce bureau."""
    order = content.create(dbsession, workflows, "rectification_order", {
        "title": "关于市工商局僵尸系统的整改通知", "target_unit": people["other_staff"].unit_id,
        "basis": "实施方案第二部分", "findings": "两个系统长期闲置", "due_date": date(2018, 3, 31),
        "doc_number": "黄信办〔2018〕3号"}, Actor.of(people["reviewer"]))
    fire(dbsession, workflows, order.id, "issue", Actor.of(people["reviewer"]))
    return order


def sharing_page(testapp, username, document, status=200):
    testapp.reset()
    login(testapp, username)
    return testapp.get(f"/documents/{document.id}/sharing", status=status)


def post(testapp, document, page, status=303, **fields):
    return testapp.post(f"/documents/{document.id}/sharing", {"csrf_token": csrf_token(page), **fields},
                        status=status)


def audit(dbsession, action):
    return list(dbsession.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def visible(dbsession, workflows, user, document) -> tuple[bool, bool]:
    """(permits() says view, the SQL listing lists it) — they must agree."""
    listed = document.id in {d.id for d in documents(dbsession, workflows, user, limit=200).items}
    return bool(permits(user, document, "view", workflows)), listed


def test_the_head_grants_and_revokes_a_unit_role(testapp, dbsession, filing, people, users):
    page = sharing_page(testapp, users["head"], filing)
    assert "共享设置" in page.text and "本文档尚无共享设置" in page.text
    post(testapp, filing, page, role="contributor", unit="gongshangju")
    page = testapp.get(f"/documents/{filing.id}/sharing")
    assert "已授予" in page.text and 'data-principal="unit:gongshangju"' in page.text
    [row] = filing.local_role_rows
    assert (row.unit_id, row.user_id, row.role) == (people["other_staff"].unit_id, None, "contributor")
    [granted] = audit(dbsession, "local_role.granted")
    assert (granted.actor_id, granted.target_type, granted.target_id) == (people["head"].id, "unit", row.unit_id)
    assert granted.details == {"document": filing.id, "path": filing.path, "title": filing.title, "role": "contributor"}

    post(testapp, filing, page, revoke=str(row.id))
    assert filing.local_role_rows == []
    assert dbsession.scalar(select(LocalRole).where(LocalRole.node_id == filing.id)) is None
    [revoked] = audit(dbsession, "local_role.revoked")
    assert revoked.target_id == row.unit_id and revoked.details["role"] == "contributor"
    assert "已收回" in testapp.get(f"/documents/{filing.id}/sharing").text


def test_staff_and_other_units_may_not_share(testapp, filing, users):
    sharing_page(testapp, users["staff"], filing, status=403)
    page = testapp.get("/")  # any page: the logout form carries the token
    post(testapp, filing, page, status=403, role="contributor", unit="gongshangju")
    sharing_page(testapp, users["other_staff"], filing, status=403)
    sharing_page(testapp, users["reviewer"], filing, status=403)
    assert filing.local_role_rows == []


@pytest.mark.parametrize("fields, message", [
    ({"role": "reviewer", "unit": "gongshangju"}, ""),           # an authority role: never grantable
    ({"role": "admin", "username": "t_other"}, ""),
    ({"role": "owner", "username": "t_other"}, ""),
    ({"role": "contributor"}, "二者选一"),                          # neither unit nor user
    ({"role": "contributor", "unit": "gongshangju", "username": "t_other"}, "二者选一"),  # both
    ({"role": "contributor", "username": "nobody"}, "没有此用户：nobody"),
    ({"role": "contributor", "unit": "nowhere"}, "没有此单位：nowhere"),
    ({"role": "lead", "username": "t_head"}, "不能给自己授予角色"),
])
def test_bad_grants_are_refused_with_the_reason(testapp, dbsession, filing, users, fields, message):
    page = sharing_page(testapp, users["head"], filing)
    response = post(testapp, filing, page, status=400, **fields)
    assert 'id="sharing-error"' in response.text and message in response.text
    assert filing.local_role_rows == [] and audit(dbsession, "local_role.granted") == []


def test_a_duplicate_grant_is_refused(dbsession, filing, people):
    unit = sharing.find_unit(dbsession, "gongshangju")
    sharing.grant(dbsession, filing, role="lead", unit=unit, actor=people["head"])
    with pytest.raises(ServiceError):
        sharing.grant(dbsession, filing, role="lead", unit=unit, actor=people["head"])
    with pytest.raises(ServiceError):
        sharing.revoke(dbsession, filing, role="contributor", unit=unit, actor=people["head"])
    assert len(filing.local_role_rows) == 1


def test_a_granted_unit_sees_the_order_and_may_respond(testapp, dbsession, workflows, order, people, users):
    staff = people["staff"]  # the public security bureau: not the order's target unit
    assert visible(dbsession, workflows, staff, order) == (False, False)
    with pytest.raises(TransitionDenied):
        fire(dbsession, workflows, order.id, "respond", Actor.of(staff), comment="我们也配合")

    page = sharing_page(testapp, users["reviewer"], order)  # the order's owner manages it
    assert "由整改通知的整改单位决定" in page.text  # the target unit's row is not revocable here
    post(testapp, order, page, role="contributor", unit="gonganju")
    assert visible(dbsession, workflows, staff, order) == (True, True)
    assert visible(dbsession, workflows, people["head"], order) == (True, True)
    assert visible(dbsession, workflows, people["finance"], order) == (False, False)
    fire(dbsession, workflows, order.id, "respond", Actor.of(staff), comment="公安局已配合清理")
    assert order.state == "responded"

    row = next(r for r in order.local_role_rows if r.unit_id == staff.unit_id)
    post(testapp, order, testapp.get(f"/documents/{order.id}/sharing"), revoke=str(row.id))
    assert visible(dbsession, workflows, staff, order) == (False, False)


def test_a_role_granted_to_one_user_is_theirs_alone(dbsession, workflows, order, people):
    sharing.grant(dbsession, order, role="contributor", user=people["head"], actor=people["reviewer"])
    assert visible(dbsession, workflows, people["head"], order) == (True, True)
    assert visible(dbsession, workflows, people["staff"], order) == (False, False)  # same unit, not granted
    [granted] = audit(dbsession, "local_role.granted")
    assert (granted.target_type, granted.target_id, granted.target_label) == ("user", people["head"].id, "t_head")


def test_the_target_units_role_cannot_be_revoked(dbsession, order, people):
    target = sharing.find_unit(dbsession, "gongshangju")
    with pytest.raises(ServiceError) as refused:
        sharing.revoke(dbsession, order, role="contributor", unit=target, actor=people["reviewer"])
    assert refused.value.field == "principal"
    assert any(r.unit_id == target.id for r in order.local_role_rows)


def test_lead_opens_reopen_in_the_review_workflow(dbsession, review_workflows, people):
    note = make_note(dbsession, review_workflows, people["staff"])
    fire(dbsession, review_workflows, note.id, "submit", Actor.of(people["staff"]))
    fire(dbsession, review_workflows, note.id, "expire", SYSTEM)
    other = people["other_staff"]
    assert visible(dbsession, review_workflows, other, note) == (False, False)
    with pytest.raises(TransitionDenied):
        fire(dbsession, review_workflows, note.id, "reopen", Actor.of(other))
    sharing.grant(dbsession, note, role="lead", unit=other.unit, actor=people["head"])
    assert visible(dbsession, review_workflows, other, note) == (True, True)
    fire(dbsession, review_workflows, note.id, "reopen", Actor.of(other))
    assert note.state == "draft"


def test_what_a_role_allows_is_read_from_the_workflow(workflows):
    states, transitions = sharing.what_role_allows(workflows["rectification"].definition, "contributor")
    assert ("已下发", ["view"]) in states and [t.id for t in transitions] == ["respond"]
    assert sharing.what_role_allows(workflows["filing"].definition, "lead") == ([], [])
