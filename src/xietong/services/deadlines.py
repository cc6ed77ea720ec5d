"""The deadline sweeper (``xietong sweep``, meant for cron).

A document entering a state with a ``deadline`` gets ``due_at`` (set by
:func:`xietong.services.workflow.fire`).  The sweep finds documents whose ``due_at``
has passed and, for each, once per (document, state, due_at):

* records an ``overdue`` :class:`~xietong.models.DeadlineEvent` — the unique key makes a
  second run a no-op, so cron may run it as often as it likes;
* if the state's deadline names ``fire``, takes that transition as the ``system`` actor
  through the same :func:`~xietong.services.workflow.fire` as everyone else.

Each document is handled in its own savepoint: one refusal (a guard) does not undo the
others; it is reported and the event is still recorded, so it is not retried forever.

Then the key tasks' milestones are reminded (:mod:`xietong.services.reminders`): due
within ``reminder_days`` or overdue, once each, to the units concerned.
"""
from dataclasses import dataclass, field
from datetime import datetime
import logging

from sqlalchemy import and_, exists, select

from ..formatting import CHINA_TZ
from ..models import DeadlineEvent, Node, utcnow
from .reminders import DEFAULT_DAYS, ReminderReport, remind
from .workflow import SYSTEM, TransitionError, fire

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    overdue: list[int] = field(default_factory=list)  # documents newly recorded as overdue
    fired: list[tuple[int, str]] = field(default_factory=list)  # (document, transition)
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (document, transition, reason)
    reminders: ReminderReport = field(default_factory=ReminderReport)


def overdue_documents(dbsession, now: datetime):
    """Documents past due whose current deadline has not been recorded yet."""
    recorded = exists(select(DeadlineEvent.id).where(and_(
        DeadlineEvent.node_id == Node.id, DeadlineEvent.state == Node.state,
        DeadlineEvent.due_at == Node.due_at, DeadlineEvent.kind == "overdue")))
    return dbsession.scalars(
        select(Node).where(Node.due_at <= now, Node.workflow_id.is_not(None), Node.trashed_at.is_(None), ~recorded)
        .order_by(Node.due_at, Node.id))


def sweep(dbsession, workflows, now: datetime | None = None, reminder_days: int = DEFAULT_DAYS) -> SweepReport:
    now = now or utcnow()
    report = SweepReport()
    for document in list(overdue_documents(dbsession, now)):
        compiled = workflows.get(document.workflow_id)
        state = compiled.definition.states.get(document.state) if compiled else None
        if state is None or state.deadline is None:
            continue  # the workflow changed under the document: check-workflows reports it
        with dbsession.begin_nested():
            event = DeadlineEvent(node_id=document.id, state=document.state, due_at=document.due_at, kind="overdue")
            dbsession.add(event)
            dbsession.flush()
        report.overdue.append(document.id)
        if state.deadline.fire:
            try:
                with dbsession.begin_nested():
                    fire(dbsession, workflows, document.id, state.deadline.fire, SYSTEM)
                    event.fired_transition = state.deadline.fire
                report.fired.append((document.id, state.deadline.fire))
            except TransitionError as exc:
                report.refused.append((document.id, state.deadline.fire, str(exc.reason)))
                log.warning("sweep: %s on document %s refused: %s", state.deadline.fire, document.id, exc.reason)
    dbsession.flush()
    report.reminders = remind(dbsession, now.astimezone(CHINA_TZ).date(), reminder_days)
    return report
