"""Firing transitions: roles, state, comments, guards, history — through the one service."""
import pytest
from sqlalchemy import update
import transitions

from xietong.i18n import translate
from xietong.models import HistoryEntry, LocalRole, Node
from xietong.services import history
from xietong.services.workflow import (SYSTEM, Actor, DocumentNotFound, TransitionConflict, TransitionDenied,
                                       TransitionInvalid, available_transitions, fire)
from xietong.testing import get_user, make_note
from pyramid.i18n import make_localizer
from pathlib import Path

ZH = make_localizer("zh_CN", [str(Path(__file__).resolve().parents[1] / "src/xietong/locale")])


def zh(message) -> str:
    return translate(ZH, message)


@pytest.fixture
def staff(dbsession, users):
    return get_user(dbsession, users["staff"])


@pytest.fixture
def reviewer(dbsession, users):
    return get_user(dbsession, users["reviewer"])


@pytest.fixture
def note(dbsession, review_workflows, staff):
    return make_note(dbsession, review_workflows, staff)


def test_creation_writes_the_first_history_row(dbsession, note, staff):
    rows = history.entries(dbsession, note.id)
    assert note.state == "draft" and note.version == 1 and note.owner_id == staff.id
    assert [(r.transition, r.from_state, r.to_state) for r in rows] == [(None, None, "draft")]
    assert rows[0].workflow_id == "review" and rows[0].workflow_version == 3
    assert rows[0].actor_roles == "authenticated,owner,staff" and rows[0].prev_hash is None


def test_fire_moves_the_state_bumps_the_version_and_records_who(dbsession, review_workflows, note, staff):
    entry = fire(dbsession, review_workflows, note.id, "submit", Actor.of(staff), comment=" 请审核 ")
    assert note.state == "submitted" and note.version == 2
    assert (entry.transition, entry.from_state, entry.to_state) == ("submit", "draft", "submitted")
    assert entry.actor_id == staff.id and entry.actor_unit_id == staff.unit_id
    assert entry.comment == "请审核" and entry.actor_roles == "authenticated,owner,staff"


def test_a_missing_role_is_denied_with_the_roles_needed(dbsession, review_workflows, note, users):
    finance = get_user(dbsession, users["finance"])
    with pytest.raises(TransitionDenied) as denied:
        fire(dbsession, review_workflows, note.id, "submit", Actor.of(finance))
    assert denied.value.status == 403 and denied.value.details["kind"] == "role"
    assert zh(denied.value.reason) == "只有以下角色可以执行“提交”：单位负责人、填报员"
    assert note.state == "draft" and len(history.entries(dbsession, note.id)) == 1


def test_staff_of_another_unit_is_denied(dbsession, review_workflows, note, users):
    other = get_user(dbsession, users["other_staff"])
    with pytest.raises(TransitionDenied):
        fire(dbsession, review_workflows, note.id, "submit", Actor.of(other))


def test_a_failing_guard_denies_with_its_reason(dbsession, review_workflows, staff):
    untitled = make_note(dbsession, review_workflows, staff, title="")
    with pytest.raises(TransitionDenied) as denied:
        fire(dbsession, review_workflows, untitled.id, "submit", Actor.of(staff))
    assert denied.value.details == {"kind": "guard", "guard": "required_fields_complete"}
    assert zh(denied.value.reason) == "请先填写以下字段：title"
    assert untitled.state == "draft"


def test_a_transition_not_leaving_the_current_state_is_a_conflict(dbsession, review_workflows, note, reviewer):
    with pytest.raises(TransitionConflict) as conflict:
        fire(dbsession, review_workflows, note.id, "approve", Actor.of(reviewer))
    assert conflict.value.status == 409 and "草稿" in zh(conflict.value.reason)


def test_a_stale_version_is_a_conflict(dbsession, review_workflows, note, staff):
    with pytest.raises(TransitionConflict):
        fire(dbsession, review_workflows, note.id, "submit", Actor.of(staff), expected_version=7)
    fire(dbsession, review_workflows, note.id, "submit", Actor.of(staff), expected_version=1)


def test_comment_rules(dbsession, review_workflows, note, staff, reviewer):
    fire(dbsession, review_workflows, note.id, "submit", Actor.of(staff))
    with pytest.raises(TransitionInvalid) as invalid:
        fire(dbsession, review_workflows, note.id, "return", Actor.of(reviewer), comment="   ")
    assert invalid.value.details["field"] == "comment" and "意见" in zh(invalid.value.reason)
    with pytest.raises(TransitionInvalid):
        fire(dbsession, review_workflows, note.id, "expire", SYSTEM, comment="no comments here")
    fire(dbsession, review_workflows, note.id, "return", Actor.of(reviewer), comment="金额有误")
    assert note.state == "returned"


def test_unknown_transition_and_document(dbsession, review_workflows, note, staff):
    with pytest.raises(TransitionInvalid):
        fire(dbsession, review_workflows, note.id, "publish", Actor.of(staff))
    with pytest.raises(DocumentNotFound):
        fire(dbsession, review_workflows, 10**9, "submit", Actor.of(staff))


def test_only_the_system_may_take_system_transitions(dbsession, review_workflows, note, staff, users):
    admin = get_user(dbsession, users["admin"])
    fire(dbsession, review_workflows, note.id, "submit", Actor.of(staff))
    with pytest.raises(TransitionDenied):
        fire(dbsession, review_workflows, note.id, "expire", Actor.of(admin))
    fire(dbsession, review_workflows, note.id, "expire", SYSTEM)
    assert note.state == "expired"
    assert history.entries(dbsession, note.id)[-1].actor_id is None


def test_local_roles_grant_transitions(dbsession, review_workflows, note, staff, users):
    fire(dbsession, review_workflows, note.id, "submit", Actor.of(staff))
    fire(dbsession, review_workflows, note.id, "expire", SYSTEM)
    other = get_user(dbsession, users["other_staff"])
    with pytest.raises(TransitionDenied):
        fire(dbsession, review_workflows, note.id, "reopen", Actor.of(other))
    note.local_role_rows.append(LocalRole(unit_id=other.unit_id, role="lead"))
    dbsession.flush()
    fire(dbsession, review_workflows, note.id, "reopen", Actor.of(other))
    assert note.state == "draft"


def test_available_transitions_say_why_not(dbsession, review_workflows, note, staff, reviewer):
    fire(dbsession, review_workflows, note.id, "submit", Actor.of(staff))
    for_reviewer = {a.transition.id: a for a in available_transitions(review_workflows, note, Actor.of(reviewer))}
    assert list(for_reviewer) == ["approve", "return", "expire"]  # file order, from "submitted"
    assert for_reviewer["approve"].allowed and for_reviewer["return"].allowed
    assert not for_reviewer["expire"].allowed and for_reviewer["expire"].kind == "role"
    assert "系统" in zh(for_reviewer["expire"].reason)
    for_staff = available_transitions(review_workflows, note, Actor.of(staff))
    assert not any(a.allowed for a in for_staff)


def test_listing_transitions_of_500_documents_builds_no_machine(dbsession, review_workflows, staff, monkeypatch):
    notes = [make_note(dbsession, review_workflows, staff, name=f"bulk-{i}") for i in range(500)]
    built = []
    original = transitions.Machine.__init__
    monkeypatch.setattr(transitions.Machine, "__init__", lambda self, *a, **k: (built.append(1), original(self, *a, **k)))
    actor = Actor.of(staff)
    listed = [available_transitions(review_workflows, n, actor) for n in notes]
    for n in notes[:50]:
        fire(dbsession, review_workflows, n.id, "submit", actor)
    assert built == [] and all(len(x) == 1 and x[0].allowed for x in listed)
    assert review_workflows["review"].machine.models == []  # documents never join the machine


def test_n_transitions_make_n_plus_one_chained_rows(dbsession, review_workflows, note, staff, reviewer):
    steps = [("submit", staff, ""), ("return", reviewer, "补充材料"), ("submit", staff, ""),
             ("approve", reviewer, "")]
    for transition, user, comment in steps:
        fire(dbsession, review_workflows, note.id, transition, Actor.of(user), comment=comment)
    rows = history.entries(dbsession, note.id)
    assert len(rows) == len(steps) + 1
    assert [r.to_state for r in rows] == ["draft", "submitted", "returned", "submitted", "approved"]
    assert all(r.prev_hash == p.hash for p, r in zip(rows, rows[1:]))
    checked, broken = history.verify_history(dbsession)
    assert broken is None and checked >= len(rows)


def test_a_tampered_row_is_detected(dbsession, review_workflows, note, staff, reviewer):
    fire(dbsession, review_workflows, note.id, "submit", Actor.of(staff))
    fire(dbsession, review_workflows, note.id, "approve", Actor.of(reviewer))
    rows = history.entries(dbsession, note.id)
    dbsession.execute(update(HistoryEntry).where(HistoryEntry.id == rows[1].id).values(actor_roles="admin"))
    dbsession.expire_all()
    _, broken = history.verify_history(dbsession)
    assert broken is not None and broken.entry_id == rows[1].id and "altered" in broken.reason


def test_a_deleted_row_is_detected(dbsession, review_workflows, note, staff, reviewer):
    fire(dbsession, review_workflows, note.id, "submit", Actor.of(staff))
    fire(dbsession, review_workflows, note.id, "approve", Actor.of(reviewer))
    rows = history.entries(dbsession, note.id)
    dbsession.delete(rows[1])
    dbsession.flush()
    _, broken = history.verify_history(dbsession)
    assert broken is not None and broken.entry_id == rows[2].id and "prev_hash" in broken.reason


def test_failed_attempts_write_no_history(dbsession, review_workflows, note, users):
    finance = get_user(dbsession, users["finance"])
    for _ in range(3):
        with pytest.raises(TransitionDenied):
            fire(dbsession, review_workflows, note.id, "submit", Actor.of(finance))
    assert len(history.entries(dbsession, note.id)) == 1
    assert dbsession.get(Node, note.id).version == 1


def test_an_edited_workflow_takes_effect_at_once(dbsession, review_workflows, note, staff, users):
    # permissions are computed from the state map on every check: nothing to re-index
    from xietong.security import permits
    from xietong.workflow.loader import build_set
    from dataclasses import replace
    from types import MappingProxyType

    finance = get_user(dbsession, users["finance"])
    assert not permits(finance, note, "view", review_workflows)
    definition = review_workflows["review"].definition
    draft = replace(definition.states["draft"], permissions=MappingProxyType({"view": frozenset({"finance"})}))
    edited, errors = build_set([replace(definition, states=MappingProxyType({**definition.states, "draft": draft}))])
    assert not errors and permits(finance, note, "view", edited)


def test_actions_run_after_commit_only(fresh_db_url, review_workflows, caplog):
    import logging

    from sqlalchemy.orm import Session

    from xietong.db import make_engine, write_engine
    from xietong.testing import TEST_USERS, migrate, populate

    migrate(fresh_db_url)
    populate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    caplog.set_level(logging.INFO, logger="xietong.workflow.guards")
    with Session(bind=write_engine(engine)) as session:
        staff = get_user(session, TEST_USERS["staff"][0])
        reviewer = get_user(session, TEST_USERS["reviewer"][0])
        note = make_note(session, review_workflows, staff)
        fire(session, review_workflows, note.id, "submit", Actor.of(staff))
        session.commit()
        fire(session, review_workflows, note.id, "approve", Actor.of(reviewer))  # action: log_transition
        assert "submitted -> approved" not in caplog.text  # not yet: the transaction is open
        session.rollback()
        assert "submitted -> approved" not in caplog.text  # rolled back: never
        fire(session, review_workflows, note.id, "approve", Actor.of(reviewer))
        session.commit()
        assert f"review {note.id}: submitted -> approved by {reviewer.username}" in caplog.text
    engine.dispose()
