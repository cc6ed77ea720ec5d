"""Firing workflow transitions — the one code path for the UI, the API, bulk actions and the sweeper.

:func:`fire` runs inside the caller's database transaction and does, in this order:

1. lock the document row and re-read it (``SELECT ... FOR UPDATE`` with
   ``populate_existing`` on PostgreSQL; on SQLite the caller's transaction began
   ``BEGIN IMMEDIATE``, so it already holds the database's write lock — checked here),
   once per transaction: a write request's context factory has usually locked it already
   (:func:`lock_document`);
2. check the actor's roles for the transition: none of them → :class:`TransitionDenied`;
3. check the document still is where the actor saw it (``expected_version``) and that
   the transition leaves its current state: otherwise someone else moved it →
   :class:`TransitionConflict`;
4. check the comment rule (``required``/``none``) → :class:`TransitionInvalid`;
5. run the guards in order; the first that fails → :class:`TransitionDenied` with its reason;
6. move the state through the workflow's shared ``transitions.Machine``, set the new
   state's deadline, bump ``version`` (SQLAlchemy's ``version_id_col``), append the
   history row (hash-chained), flush;
7. queue the transition's actions to run after commit.

A lost race is reported, never retried: the request that lost must not silently
re-apply a transition to a document that has since changed.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta
import logging

from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Integer, bindparam, inspect, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import with_polymorphic
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.exc import StaleDataError

from ..formatting import CHINA_TZ
from ..i18n import _
from ..models import Node, User, utcnow
from ..roles import ROLE_TITLES
from ..security import roles_on
from ..workflow.definition import Transition
from . import aftercommit, history, rules

log = logging.getLogger(__name__)


# -- who fires ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Actor:
    """A user, or the system (the deadline sweeper), which holds only the role ``system``."""

    user: User | None = None
    system: bool = False

    @classmethod
    def of(cls, user: User) -> "Actor":
        return cls(user=user)

    @property
    def name(self) -> str:
        return "system" if self.system else (self.user.username if self.user else "anonymous")

    def roles_on(self, document) -> frozenset[str]:
        return frozenset({"system"}) if self.system else roles_on(self.user, document)


SYSTEM = Actor(system=True)


# -- outcomes ------------------------------------------------------------------------------------

class TransitionError(Exception):
    """Base of the refusals; ``reason`` is a translation string for people."""

    status = 400

    def __init__(self, reason, transition: str = "", **details):
        super().__init__(str(reason))
        self.reason, self.transition, self.details = reason, transition, details


class TransitionDenied(TransitionError):
    """The actor may not take this transition (a role is missing or a guard failed): HTTP 403."""

    status = 403


class TransitionConflict(TransitionError):
    """The document changed since the actor saw it: HTTP 409."""

    status = 409


class TransitionInvalid(TransitionError):
    """The request itself is wrong (unknown transition, comment rule): HTTP 400."""

    status = 400


class DocumentNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Availability:
    """One transition from the document's current state, for one actor: may they, and if not, why."""

    transition: Transition
    allowed: bool
    reason: object = None  # translation string when not allowed
    kind: str | None = None  # "role" or "guard"


@dataclass(frozen=True)
class TransitionEvent:
    """Emitted after a successful transition; its effects (actions) run after commit."""

    document_id: int
    workflow: object
    transition: Transition
    from_state: str
    to_state: str
    actor_name: str
    history_id: int


# -- checks shared by fire() and available_transitions() ---------------------------------------------

def _roles_reason(transition: Transition):
    titles = [ROLE_TITLES.get(r, r) for r in sorted(transition.roles)]
    return _("Only these roles may ${transition}: ${roles}",
             mapping={"transition": transition.title, "roles": titles})


def _check_roles(transition: Transition, roles: frozenset[str]):
    return None if roles & transition.roles else _roles_reason(transition)


def _check_guards(workflows, transition: Transition, document, actor: Actor):
    for name in transition.guards:
        result = workflows.guards[name].check(document, actor)
        if not result:
            return name, result.reason
    return None, None


def available_transitions(workflows, document, actor: Actor) -> list[Availability]:
    """Every transition leaving the document's state, in file order, allowed or not and why."""
    compiled = workflows.get(document.workflow_id)
    if compiled is None:
        return []
    roles = actor.roles_on(document)
    result = []
    for transition in compiled.definition.transitions_from(document.state):
        missing = _check_roles(transition, roles)
        if missing is not None:
            result.append(Availability(transition, False, missing, "role"))
            continue
        guard, reason = _check_guards(workflows, transition, document, actor)
        result.append(Availability(transition, guard is None, reason, "guard" if guard else None))
    return result


# -- writing -------------------------------------------------------------------------------------

def deadline_for(state, document, entered_at: datetime) -> datetime | None:
    """When a document entering ``state`` falls due (None: the state has no deadline)."""
    deadline = state.deadline
    if deadline is None:
        return None
    if deadline.after is not None:
        return entered_at + deadline.after
    value = getattr(document, deadline.field, None)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    # a date: due at the end of that day, China time ("2018年1月底前" means by 31 January)
    return datetime.combine(value + timedelta(days=1), time.min, tzinfo=CHINA_TZ)


def create_document(dbsession, workflows, document: Node, actor: Actor, workflow_id: str | None = None,
                    comment: str = "") -> Node:
    """Add a new document in its workflow's initial state, with its first history row."""
    compiled = workflows.get(workflow_id) if workflow_id else workflows.for_type(document.type)
    if compiled is None:
        raise TransitionInvalid(_("No workflow is bound to this content type"))
    definition = compiled.definition
    now = utcnow()
    document.workflow_id = definition.id
    document.state = definition.initial
    document.due_at = deadline_for(definition.states[definition.initial], document, now)
    if actor.user is not None and document.owner_id is None and document.owner is None:
        document.owner = actor.user
    dbsession.add(document)
    dbsession.flush()
    history.append(dbsession, node_id=document.id, workflow_id=definition.id,
                   workflow_version=definition.version, transition=None, from_state=None,
                   to_state=definition.initial, actor_id=actor.user.id if actor.user else None,
                   actor_unit_id=actor.user.unit_id if actor.user else None,
                   actor_roles=actor.roles_on(document), comment=comment)
    return document


def assert_write_transaction(dbsession) -> None:
    connection = dbsession.connection()
    if connection.dialect.name == "sqlite" and \
            connection.get_execution_options().get("sqlite_begin") != "IMMEDIATE":
        raise RuntimeError("fire() needs a write session (BEGIN IMMEDIATE on SQLite): "
                           "use xietong.db.write_engine for this session")


@lru_cache(maxsize=1)
def document_statement():
    """The document ``:document_id`` with its type's columns, in one statement built once
    (SQLAlchemy's cache key of a new polymorphic select cost ~3 ms per transition)."""
    any_type = with_polymorphic(Node, "*")
    return select(any_type).where(any_type.id == bindparam("document_id", type_=Integer))


@lru_cache(maxsize=1)
def _lock_statement():
    # every subclass's columns, re-read (guards read them); only the nodes row is locked
    # (PostgreSQL refuses FOR UPDATE on the nullable side of the subclass outer joins)
    return document_statement().with_for_update(of=Node).execution_options(populate_existing=True)


_LOCKS = "xietong.locked_documents"


def lock_document(dbsession, document_id: int) -> Node:
    """The document with its type's columns, read under its row lock — once per transaction.

    A write request's context factory locks its document as it loads it, and ``fire``
    then asks again: the second call returns the session's copy without reading it again,
    because nobody else can have changed the row while this transaction holds the lock.
    The lock is remembered with the (sub)transaction that took it and is trusted only while
    that one is still open: a savepoint rolled back releases its locks (PostgreSQL) and
    expires what it touched, so the document is then read and locked again.
    """
    assert_write_transaction(dbsession)
    root = dbsession.get_transaction()
    remembered = dbsession.info.get(_LOCKS)
    if remembered is None or remembered[0] is not root:
        remembered = dbsession.info[_LOCKS] = (root, {})
    taken_in = remembered[1].get(document_id)
    document = dbsession.identity_map.get(identity_key(Node, document_id)) if taken_in is not None else None
    if document is None or not taken_in.is_active or inspect(document).expired_attributes:
        document = dbsession.execute(_lock_statement(), {"document_id": document_id}).scalar_one_or_none()
        remembered[1][document_id] = dbsession.get_nested_transaction() or root
    if document is None or document.trashed_at is not None:
        raise DocumentNotFound(document_id)
    return document


# PostgreSQL's "serialization failure" and "deadlock detected": another transaction won.
LOST_RACE_SQLSTATES = frozenset({"40001", "40P01"})


@contextmanager
def _lost_races_are_conflicts(transition_id: str):
    """Report a lost race as a conflict.

    zope.sqlalchemy marks ``StaleDataError`` and serialization failures retryable, so
    letting them escape would make pyramid_retry re-run the request — silently
    re-applying a transition to a document someone else has just moved.
    """
    try:
        yield
    except StaleDataError:
        raise TransitionConflict(_("This document was changed by someone else meanwhile; reload it"),
                                 transition_id) from None
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) in LOST_RACE_SQLSTATES:
            raise TransitionConflict(_("This document was changed by someone else meanwhile; reload it"),
                                     transition_id) from None
        raise


def fire(dbsession, workflows, document_id: int, transition_id: str, actor: Actor, comment: str = "",
         expected_version: int | None = None):
    """Take ``transition_id`` on the document for ``actor``; returns the new history row.

    Raises :class:`TransitionDenied` (403), :class:`TransitionConflict` (409),
    :class:`TransitionInvalid` (400) or :class:`DocumentNotFound` (404); see the module docstring.
    """
    with _lost_races_are_conflicts(transition_id):
        return _fire(dbsession, workflows, document_id, transition_id, actor, comment, expected_version)


def _fire(dbsession, workflows, document_id, transition_id, actor, comment, expected_version):
    document = lock_document(dbsession, document_id)
    compiled = workflows.get(document.workflow_id)
    transition = compiled.definition.transition(transition_id) if compiled else None
    if transition is None:
        raise TransitionInvalid(_("There is no transition ${transition} in this workflow",
                                  mapping={"transition": transition_id}), transition_id)
    roles = actor.roles_on(document)
    missing = _check_roles(transition, roles)
    if missing is not None:
        raise TransitionDenied(missing, transition_id, kind="role", needed=sorted(transition.roles))
    if expected_version is not None and document.version != expected_version:
        raise TransitionConflict(_("This document was changed by someone else meanwhile; reload it"),
                                 transition_id, version=document.version)
    if document.state not in transition.sources:
        raise TransitionConflict(_("This document is already ${state}; reload it",
                                   mapping={"state": compiled.definition.states[document.state].title
                                            if document.state in compiled.definition.states else document.state}),
                                 transition_id, state=document.state)
    comment = (comment or "").strip()
    if transition.comment == "required" and not comment:
        raise TransitionInvalid(_("A comment is required for ${transition}",
                                  mapping={"transition": transition.title}), transition_id, field="comment")
    if transition.comment == "none" and comment:
        raise TransitionInvalid(_("${transition} takes no comment", mapping={"transition": transition.title}),
                                transition_id, field="comment")
    guard, reason = _check_guards(workflows, transition, document, actor)
    if guard is not None:
        raise TransitionDenied(reason, transition_id, kind="guard", guard=guard)

    from_state = document.state
    compiled.move(document, transition_id)
    document.due_at = deadline_for(compiled.definition.states[document.state], document, utcnow())
    rules.after_transition(dbsession, workflows, document, transition, from_state, actor)
    dbsession.flush()
    entry = history.append(
        dbsession, node_id=document.id, workflow_id=compiled.id, workflow_version=compiled.definition.version,
        transition=transition_id, from_state=from_state, to_state=document.state,
        actor_id=actor.user.id if actor.user else None,
        actor_unit_id=actor.user.unit_id if actor.user else None, actor_roles=roles, comment=comment)
    event = TransitionEvent(document.id, compiled.definition, transition, from_state, document.state,
                            actor.name, entry.id)
    for name in transition.actions:
        action = workflows.actions[name]
        aftercommit.defer(dbsession, lambda action=action: action.run(event))
    log.debug("fired %s on %s: %s -> %s", transition_id, document.id, from_state, document.state)
    return entry
