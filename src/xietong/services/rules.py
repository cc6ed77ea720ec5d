"""Domain rules that run inside a transition's database transaction.

Workflow files say who may do what; what a transition *means* for other records lives
here, in Python, called by :func:`xietong.services.workflow.fire` after the state has
changed and before the history row is written — so the effect and the transition
commit together or not at all.

* An integration plan reaching ``completed`` carries out its items in the register:
  ``retire`` marks the system retired, ``integrate`` records the system it went into.
  Each register change is recorded as a field change of that system.
* A key task's ``approve_delay`` moves the milestone of its pending delay request,
  ``refuse_delay`` closes the request, ``complete`` marks the open milestones reached
  (:func:`settle_task`).
* Whoever can act on the document next is notified (:mod:`xietong.services.notifications`):
  the in-app notices commit with the transition, e-mail goes out after commit.
"""
from sqlalchemy import select

from ..formatting import china_today
from ..models import DelayRequest, FieldChange, IntegrationPlan, KeyTask, utcnow
from . import notifications


def record_change(dbsession, document, actor, field: str, old: str, new: str) -> None:
    """Append a field-change record to ``document``'s history timeline (who, state, old, new)."""
    dbsession.add(FieldChange(node_id=document.id, actor_id=actor.user.id if actor.user else None,
                              actor_unit_id=actor.user.unit_id if actor.user else None, state=document.state,
                              field=field, old_value=old, new_value=new))


def _set(dbsession, document, field: str, value, actor, shown=str) -> None:
    old = getattr(document, field)
    if old == value:
        return
    setattr(document, field, value)
    record_change(dbsession, document, actor, field, "" if old is None else shown(old),
                  "" if value is None else shown(value))


def carry_out_plan(dbsession, plan: IntegrationPlan, actor) -> None:
    for item in plan.items:
        if item.action == "retire":
            _set(dbsession, item.system, "status", "retired", actor)
        elif item.action == "integrate" and item.target_system_id:
            _set(dbsession, item.system, "integrated_into_id", item.target_system_id, actor)


def pending_delay(dbsession, task_id: int) -> DelayRequest | None:
    return dbsession.scalar(select(DelayRequest).where(DelayRequest.task_id == task_id,
                                                       DelayRequest.decision == "pending"))


def settle_task(dbsession, task: KeyTask, transition_id: str, actor) -> None:
    if transition_id in ("approve_delay", "refuse_delay"):
        request = pending_delay(dbsession, task.id)
        if request is None:
            return
        request.decision = "approved" if transition_id == "approve_delay" else "refused"
        request.decided_by_id = actor.user.id if actor.user else None
        request.decided_at = utcnow()
        if request.decision == "approved":
            milestone = request.milestone
            record_change(dbsession, task, actor, "milestone", f"{milestone.title}: {milestone.due_date}",
                          f"{milestone.title}: {request.requested_due_date}")
            milestone.due_date = request.requested_due_date
    elif transition_id == "complete":
        for milestone in task.milestones:
            if milestone.done_date is None:
                milestone.done_date = china_today()


def after_transition(dbsession, workflows, document, transition, from_state: str, actor) -> None:
    if isinstance(document, IntegrationPlan) and document.state == "completed":
        carry_out_plan(dbsession, document, actor)
    if isinstance(document, KeyTask):
        settle_task(dbsession, document, transition.id, actor)
    notifications.after_transition(dbsession, workflows, document, actor)
