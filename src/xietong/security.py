"""Who the requester is, which roles they hold on a context, and what that permits.

Algorithm of :meth:`SecurityPolicy.permits` (deny by default):

1. The identity is the active user of the session's live login (HTML; see
   :mod:`xietong.sessions` for rotation, timeouts and revocation) or of a live bearer
   token (``/api`` only; cookies are never accepted there).  No identity: the
   principal set is ``{"anonymous"}``.
2. The roles on ``context`` are the union of
   - ``authenticated`` and the user's global roles (admin, reviewer, finance,
     auditor, leader);
   - the user's unit role (``staff`` or ``head``) when ``context.unit_id`` is the
     user's unit;
   - ``owner`` when ``context.owner_id`` is the user;
   - local roles the context grants the user (``context.local_roles(user)``,
     e.g. lead / contributor on a key task).
3. The roles allowed ``permission`` on ``context``: for a workflowed document, the
   permission map of its *current state* in its workflow file (read on every check,
   never copied into rows, so an edited workflow takes effect at once); for other
   contexts, ``context.roles_for(permission)``.  An unknown permission, workflow or
   state allows no one.
4. Allowed if the two sets meet; otherwise :class:`RoleDenied`, which names the
   roles that would have been needed.

Listings do not ask document by document: :func:`permitted_clause` compiles the same
maps into one SQL condition (``(workflow, state)`` pairs whose map lets one of the
user's roles in, combined with the unit/owner/local-role conditions for roles that
depend on the document).  A property-based test checks that it agrees with
:func:`permits` on generated users, documents and maps.
"""
import re
from dataclasses import dataclass, field
from functools import lru_cache

from pyramid.interfaces import ISecurityPolicy
from pyramid.request import RequestLocalCache
from pyramid.security import Allowed, Denied
from sqlalchemy import String, and_, any_, false, func, literal, literal_column, or_, select, union_all
from sqlalchemy.orm import aliased
from zope.interface import implementer

from . import sessions, tokens
from .models import LocalRole, Node, User

ANONYMOUS = "anonymous"
AUTHENTICATED = "authenticated"


@dataclass(frozen=True)
class Identity:
    user: User
    via: str  # "session" or "token"
    token_id: int | None = None
    extra: dict = field(default_factory=dict)
    session_id: int | None = None  # the LoginSession row, for a session identity


def roles_on(user: User | None, context) -> frozenset[str]:
    """The roles ``user`` holds on ``context`` (step 2 of the module docstring)."""
    if user is None:
        return frozenset({ANONYMOUS})
    roles = {AUTHENTICATED, *user.roles}
    if user.unit_role and getattr(context, "unit_id", None) == user.unit_id:
        roles.add(user.unit_role)
    if getattr(context, "owner_id", None) == user.id:
        roles.add("owner")
    local = getattr(context, "local_roles", None)
    if local is not None:
        roles.update(local(user))
    return frozenset(roles)


def allowed_roles(context, permission: str, workflows=None) -> frozenset[str]:
    """Step 3 of the module docstring."""
    workflow_id = getattr(context, "workflow_id", None)
    if workflow_id is not None:
        compiled = workflows.get(workflow_id) if workflows is not None else None
        state = compiled.definition.states.get(context.state) if compiled else None
        return state.roles_for(permission) if state else frozenset()
    roles_for = getattr(context, "roles_for", None)
    return frozenset(roles_for(permission)) if roles_for else frozenset()


class RoleDenied(Denied):
    """A denial that knows which roles would have allowed it (for a human explanation).

    Careful: like every Pyramid ``PermitsResult`` it is an ``int`` that is *false*;
    test it with ``is not None``, never with ``or``.
    """

    def __new__(cls, permission: str, needed: frozenset[str], held: frozenset[str]):
        inst = super().__new__(cls, "%r needs one of the roles %s; the requester holds %s",
                               permission, sorted(needed) or "(none)", sorted(held))
        inst.permission, inst.needed, inst.held = permission, needed, held
        return inst


def permits(user: User | None, context, permission: str, workflows=None):
    """Allowed or :class:`RoleDenied`, with the reason (steps 2–4 of the module docstring)."""
    held = roles_on(user, context)
    needed = allowed_roles(context, permission, workflows)
    if held & needed:
        return Allowed("%r granted by role %r", permission, sorted(held & needed)[0])
    return RoleDenied(permission, needed, held)


_PLAIN_NAME = re.compile(r"^[A-Za-z0-9 _.-]{1,60}$")


def _name(value: str):
    """A workflow, state or role name as an SQL literal, not a bound parameter.

    The names come from validated workflow files (``workflow.schema``: no quotes
    possible); as literals they make a predicate of a few hundred names cost nothing per
    execution, where bound parameters were ~500 values to process on every count of a
    clerk's worklist badge (2.3 ms a page at 100k documents).  Anything else stays bound.
    """
    if _PLAIN_NAME.match(value):
        return literal_column(f"'{value}'", String)
    return literal(value, String)


def _pair_terms(pairs, table=Node) -> list:
    """``workflow_id = w AND state IN (...)``, one term per workflow, for (workflow, state) pairs.

    Not ``(workflow_id, state) IN (VALUES ...)``: SQLite tests that row value against
    every row, but answers an OR of these terms from the (workflow_id, state, ...) index
    (its multi-index OR; migration 0008), 5–8x faster at 100k documents.
    """
    by_workflow = {}
    for workflow_id, state in pairs:
        by_workflow.setdefault(workflow_id, []).append(state)
    return [and_(table.workflow_id == _name(workflow_id), table.state.in_([_name(s) for s in sorted(states)]))
            for workflow_id, states in sorted(by_workflow.items())]


def _granted_clause(user: User, pairs_by_role: dict[str, list], dialect: str | None):
    """SQL: the node is granted the user (or the user's unit), as a local role, a role its pair needs.

    A union of small joins, one per group of roles needing the same (workflow, state) pairs
    and per principal (the user, their unit): grant rows of those roles joined to nodes in
    those pairs.  Each is a two-table join the planner can start from its smaller side: a
    unit's 1,861 ``lead`` grants (the information office leads key task 2, and each progress
    report repeats its task's lead units) against the 17 key tasks in an actionable state —
    where one join of all the unit's grants to their nodes, tested afterwards, read every
    grant's node (PostgreSQL 14 ms of the reviewer's worklist; docs/PERFORMANCE.md, pass 6).
    The union is computed once per statement (``id IN (that)``), never per document scanned
    (a correlated EXISTS cost PostgreSQL over a second at 100k).
    """
    # roles needing the same pairs share one join (most roles see the same states)
    roles_by_pairs = {}
    for role, pairs in pairs_by_role.items():
        roles_by_pairs.setdefault(frozenset(pairs), []).append(role)
    principals = [LocalRole.user_id == user.id]
    if user.unit_id is not None:
        principals.append(LocalRole.unit_id == user.unit_id)
    granted_node = aliased(Node, name="granted_node")
    # each join reads the (principal, role, node) indexes (migration 0012) and the nodes'
    # (workflow_id, state) index, whichever side is smaller
    joins = [select(granted_node.id).join(LocalRole, LocalRole.node_id == granted_node.id)
             .where(principal, LocalRole.role.in_([_name(r) for r in sorted(roles)]),
                    or_(*_pair_terms(pairs, granted_node)))
             for pairs, roles in sorted(roles_by_pairs.items(), key=lambda item: sorted(item[1]))
             for principal in principals]
    granted = union_all(*joins) if len(joins) > 1 else joins[0]
    if dialect == "postgresql":
        # ``= ANY (ARRAY(SELECT ...))``: the array is an init plan computed once, and ``= ANY``
        # of an array is an index condition, so it joins a BitmapOr with the other branches;
        # ``IN (SELECT ...)`` under an OR is a subplan tested per row
        return Node.id == any_(func.array(granted.scalar_subquery()))
    return Node.id.in_(granted)


def clause_for_roles(user: User | None, needed: dict[tuple[str, str], frozenset[str]], dialect: str | None = None):
    """SQL on ``Node``: (workflow, state) is a key of ``needed`` and the user holds one of its roles there.

    The roles held on a document (step 2 of the module docstring) split four ways, and so
    does the condition — an OR of at most four branches, each answerable from an index:

    - roles held everywhere (``authenticated``, global roles): their pairs match outright;
    - the user's unit role: ``unit_id`` is the user's unit, on the pairs needing that role;
    - ``owner``: ``owner_id`` is the user, on the pairs needing it;
    - local roles: the node is among the user's (or their unit's) grants of a role its pair
      needs (``system`` excepted: only the sweeper acts as it).
    """
    unconditional = frozenset({ANONYMOUS}) if user is None else frozenset({AUTHENTICATED, *user.roles})
    open_pairs, unit_pairs, owner_pairs, pairs_by_role = [], [], [], {}
    for pair, roles in needed.items():
        if roles & unconditional:
            open_pairs.append(pair)
            continue
        if user is None:
            continue
        if user.unit_role and user.unit_role in roles:
            unit_pairs.append(pair)
        if "owner" in roles:
            owner_pairs.append(pair)
        for role in roles - {"system"}:
            pairs_by_role.setdefault(role, []).append(pair)
    branches = _pair_terms(open_pairs)
    if unit_pairs:
        branches.append(and_(Node.unit_id == user.unit_id, or_(*_pair_terms(unit_pairs))))
    if owner_pairs:
        branches.append(and_(Node.owner_id == user.id, or_(*_pair_terms(owner_pairs))))
    if pairs_by_role:
        branches.append(_granted_clause(user, pairs_by_role, dialect))
    return or_(*branches) if branches else false()


class ByIdentity:
    """A hashable handle on an object by identity (a ``WorkflowSet`` holds mappings, so it has no hash)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other) -> bool:
        return isinstance(other, ByIdentity) and other.obj is self.obj


@dataclass(frozen=True)
class Principal:
    """What the SQL predicates read of a user — the whole cache key of a compiled predicate."""

    id: int | None
    unit_id: int | None
    unit_role: str | None
    roles: frozenset[str]

    @classmethod
    def of(cls, user: User | None) -> "Principal | None":
        return None if user is None else cls(user.id, user.unit_id, user.unit_role, frozenset(user.roles))


@lru_cache(maxsize=4096)
def _predicate(kind: str, workflows: ByIdentity, permission: str | None, principal: Principal | None,
               dialect: str | None, only_state: str | None = None):
    """Build a predicate once per (kind, workflow set, permission, principal, dialect).

    Building one walks every state of every workflow and makes a few hundred SQL
    expression objects: 5 ms a predicate, 10 ms of a page that draws the navigation's
    worklist badge, measured at 100k documents (docs/PERFORMANCE.md).  Expressions are
    immutable, so one may serve every request; the workflow set is loaded once at
    start-up and never changed, and any change of the user's unit, unit role or global
    roles is a new key.
    """
    definitions = workflows.obj
    if kind == "permitted":
        needed = {(c.id, s.id): s.roles_for(permission) for c in definitions for s in c.definition.states.values()}
    else:
        needed = {}
        for compiled in definitions:
            for state in compiled.definition.states:
                roles = frozenset().union(*(t.roles for t in compiled.definition.transitions_from(state)))
                needed[(compiled.id, state)] = roles - {"system"}
    if only_state is not None:
        # a listing filtered on one state: the other states' pairs could never match, and
        # without them the unit / owner branches are plain index lookups
        needed = {pair: roles for pair, roles in needed.items() if pair[1] == only_state}
    return clause_for_roles(principal, needed, dialect)


def permitted_clause(user: User | None, permission: str, workflows, dialect: str | None = None,
                     state: str | None = None):
    """A SQL condition on ``Node``: the documents where ``user`` has ``permission``.

    Same answer as :func:`permits` for every workflowed node (the property test says so);
    nodes without a workflow never match.  ``dialect`` (the session's, e.g. ``"postgresql"``)
    only chooses among equivalent spellings the database's planner answers faster.
    ``state``: only for documents in that state (a listing's filter; the same answer there).
    Built once per user and permission (:func:`_predicate`).
    """
    return _predicate("permitted", ByIdentity(workflows), permission, Principal.of(user), dialect, state)


def actionable_clause(user: User | None, workflows, dialect: str | None = None):
    """SQL on ``Node``: documents on which ``user`` holds a role of some transition leaving their state.

    (Guards are not evaluated here; a worklist shows them per document.)  The ``system``
    role is the sweeper's: it puts nothing on a person's worklist.
    """
    return _predicate("actionable", ByIdentity(workflows), None, Principal.of(user), dialect)


def is_api_request(request) -> bool:
    return request.path_info == "/api" or request.path_info.startswith("/api/")


@implementer(ISecurityPolicy)
class SecurityPolicy:
    """Pyramid asks :meth:`identity` on every ``request.identity`` (a page asks a dozen
    times); the answer is computed once per request (``RequestLocalCache``, as Pyramid's
    docs advise) and forgotten when :meth:`remember` or :meth:`forget` change it.  Without
    the cache each ask re-read the login row: the session's identity map holds rows
    weakly, and nothing kept that one alive between asks.
    """

    def __init__(self):
        self._identities = RequestLocalCache(self._identity)

    def identity(self, request) -> Identity | None:
        return self._identities.get_or_create(request)

    def _identity(self, request) -> Identity | None:
        if is_api_request(request):
            return tokens.identity_from_bearer(request)
        login = sessions.current(request)
        if login is None or not login.user.active:
            return None
        return Identity(user=login.user, via="session", session_id=login.id)

    def authenticated_userid(self, request):
        identity = request.identity
        return identity.user.id if identity else None

    def permits(self, request, context, permission):
        identity = request.identity
        return permits(identity.user if identity else None, context, permission,
                       request.registry.get("workflows"))

    def remember(self, request, userid, **kw):
        """Log in: rotate the session (new contents, new CSRF token) and record the login.

        Writes a row, so call it from a POST only.  The cookie goes out with the response;
        there are no headers to return.
        """
        sessions.start(request, userid)
        self._identities.clear(request)
        return []

    def forget(self, request, **kw):
        """Log out: revoke this login server-side and empty the session."""
        sessions.end(request)
        self._identities.clear(request)
        return []


def includeme(config):
    config.set_security_policy(SecurityPolicy())
