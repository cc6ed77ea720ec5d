"""Keeping documents consistent with edited workflow files.

When an administrator removes a state from a workflow file, documents still in that
state are *orphaned*: no permission map applies to them (so nobody but nobody sees
them) and no transition leaves it.  :func:`orphaned_documents` finds them (reported by
``xietong check-workflows``); :func:`remap_states` moves them to a state that exists,
writing a history row for each, as the ``system`` actor.
"""
from dataclasses import dataclass

from sqlalchemy import func, select, update

from ..i18n import _
from ..models import Node
from . import ServiceError, history
from .workflow import assert_write_transaction

REMAP = "remap_states"  # the pseudo-transition name written to history


@dataclass(frozen=True)
class Orphans:
    workflow_id: str
    state: str
    count: int

    def __str__(self) -> str:
        return f"{self.count} document(s) of workflow {self.workflow_id!r} in state {self.state!r}, " \
               f"which the workflow no longer has"


def orphaned_documents(dbsession, workflows) -> list[Orphans]:
    rows = dbsession.execute(
        select(Node.workflow_id, Node.state, func.count(Node.id))
        .where(Node.workflow_id.is_not(None)).group_by(Node.workflow_id, Node.state)
        .order_by(Node.workflow_id, Node.state)).all()
    found = []
    for workflow_id, state, count in rows:
        compiled = workflows.get(workflow_id)
        if compiled is None or state not in compiled.definition.states:
            found.append(Orphans(workflow_id, state, count))
    return found


def remap_states(dbsession, workflows, workflow_id: str, old_state: str, new_state: str) -> int:
    """Move every document of ``workflow_id`` from ``old_state`` to ``new_state``; returns how many."""
    compiled = workflows.get(workflow_id)
    if compiled is None:
        raise ServiceError(_("Unknown workflow: ${id}", mapping={"id": workflow_id}), "workflow")
    if new_state not in compiled.definition.states:
        raise ServiceError(_("Workflow ${id} has no state ${state}", mapping={"id": workflow_id, "state": new_state}),
                           "new_state")
    if old_state in compiled.definition.states:
        raise ServiceError(_("State ${state} still exists in workflow ${id}: use a transition",
                             mapping={"id": workflow_id, "state": old_state}), "old_state")
    # Core statements, not ORM objects: a document's content type may be one this
    # process does not map (a type removed along with its workflow state).
    assert_write_transaction(dbsession)
    ids = dbsession.scalars(select(Node.id).where(Node.workflow_id == workflow_id, Node.state == old_state)
                            .order_by(Node.id).with_for_update()).all()
    definition = compiled.definition
    for node_id in ids:
        dbsession.execute(update(Node.__table__).where(Node.__table__.c.id == node_id)
                          .values(state=new_state, version=Node.__table__.c.version + 1))
        history.append(dbsession, node_id=node_id, workflow_id=definition.id, workflow_version=definition.version,
                       transition=REMAP, from_state=old_state, to_state=new_state, actor_id=None,
                       actor_unit_id=None, actor_roles={"system"},
                       comment=f"{old_state} -> {new_state}")
    return len(ids)
