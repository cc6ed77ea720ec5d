"""Deadlines: entering a state sets ``due_at``; the sweeper records each deadline once and fires as ``system``."""
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from xietong.models import DeadlineEvent, utcnow
from xietong.services import history
from xietong.services.deadlines import sweep
from xietong.services.workflow import Actor, deadline_for, fire
from xietong.testing import get_user, make_note
from xietong.workflow.definition import Deadline, State


@pytest.fixture
def submitted(dbsession, review_workflows, users):
    staff = get_user(dbsession, users["staff"])
    note = make_note(dbsession, review_workflows, staff)
    assert note.due_at is None  # draft has no deadline
    fire(dbsession, review_workflows, note.id, "submit", Actor.of(staff))
    return note


def _events(dbsession):
    return dbsession.scalar(select(func.count(DeadlineEvent.id)))


def test_entering_a_state_with_a_deadline_sets_due_at(submitted):
    expected = utcnow() + timedelta(days=10)
    assert abs(submitted.due_at - expected) < timedelta(minutes=1)


def test_nothing_happens_before_the_deadline(dbsession, review_workflows, submitted):
    report = sweep(dbsession, review_workflows, now=utcnow() + timedelta(days=9))
    assert report.overdue == [] and submitted.state == "submitted"


def test_overdue_is_recorded_once_and_the_named_transition_fires(dbsession, review_workflows, submitted):
    later = utcnow() + timedelta(days=11)
    events_before = _events(dbsession)
    report = sweep(dbsession, review_workflows, now=later)
    assert report.overdue == [submitted.id] and report.fired == [(submitted.id, "expire")]
    assert submitted.state == "expired" and submitted.due_at is None
    last = history.entries(dbsession, submitted.id)[-1]
    assert (last.transition, last.actor_id, last.actor_roles) == ("expire", None, "system")
    rows = len(history.entries(dbsession, submitted.id))

    again = sweep(dbsession, review_workflows, now=later + timedelta(days=1))
    assert again.overdue == [] and again.fired == []
    assert _events(dbsession) == events_before + 1
    assert len(history.entries(dbsession, submitted.id)) == rows


def test_a_second_deadline_after_reentering_is_a_new_event(dbsession, review_workflows, submitted, users):
    reviewer = get_user(dbsession, users["reviewer"])
    staff = get_user(dbsession, users["staff"])
    fire(dbsession, review_workflows, submitted.id, "return", Actor.of(reviewer), comment="补充")
    fire(dbsession, review_workflows, submitted.id, "submit", Actor.of(staff))
    assert sweep(dbsession, review_workflows, now=utcnow() + timedelta(days=11)).overdue == [submitted.id]


def test_a_date_field_deadline_means_the_end_of_that_day_in_china():
    state = State(id="s", title="s", deadline=Deadline(field="due_date"))
    document = SimpleNamespace(due_date=date(2018, 1, 31))  # "2018年1月底前"
    due = deadline_for(state, document, utcnow())
    assert due == datetime(2018, 1, 31, 16, 0, tzinfo=timezone.utc)  # midnight 1 February, UTC+8
    assert deadline_for(state, SimpleNamespace(due_date=None), utcnow()) is None
