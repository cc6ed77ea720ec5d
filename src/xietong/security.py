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
from dataclasses import dataclass, field
from functools import lru_cache

from pyramid.interfaces import ISecurityPolicy
from pyramid.request import RequestLocalCache
from pyramid.security import Allowed, Denied
from sqlalchemy import and_, any_, false, func, or_, select
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


def _document_dependent_clause(user: User, roles: frozenset[str], dialect: str | None = None):
    """SQL: the user holds one of ``roles`` on the node through its unit, ownership or a local role."""
    terms = []
    if user.unit_role and user.unit_role in roles:
        terms.append(Node.unit_id == user.unit_id)
    if "owner" in roles:
        terms.append(Node.owner_id == user.id)
    # an uncorrelated subquery, not a correlated EXISTS: the (few) granted node ids are
    # computed once per query instead of probing local_roles for every row scanned (at 100k
    # documents PostgreSQL spent over a second on the EXISTS form; docs/PERFORMANCE.md)
    granted = select(LocalRole.node_id).where(
        LocalRole.role.in_(sorted(roles)), or_(LocalRole.user_id == user.id, LocalRole.unit_id == user.unit_id))
    if dialect == "postgresql":
        # ``= ANY (ARRAY(SELECT ...))``: the array is an init plan computed once, and ``= ANY``
        # of an array is an index condition, so unit OR owner OR granted becomes a BitmapOr
        # of three index scans; ``IN (SELECT ...)`` under an OR is a subplan tested per row
        terms.append(Node.id == any_(func.array(granted.scalar_subquery())))
    else:
        terms.append(Node.id.in_(granted))
    return or_(*terms)


def _pair_terms(pairs) -> list:
    """``workflow_id = w AND state IN (...)``, one term per workflow, for (workflow, state) pairs.

    Not ``(workflow_id, state) IN (VALUES ...)``: SQLite tests that row value against
    every row, but answers an OR of these terms from the (workflow_id, state, ...) index
    (its multi-index OR; migration 0008), 5–8x faster at 100k documents.
    """
    by_workflow = {}
    for workflow_id, state in pairs:
        by_workflow.setdefault(workflow_id, []).append(state)
    return [and_(Node.workflow_id == workflow_id, Node.state.in_(sorted(states)))
            for workflow_id, states in sorted(by_workflow.items())]


def clause_for_roles(user: User | None, needed: dict[tuple[str, str], frozenset[str]], dialect: str | None = None):
    """SQL on ``Node``: (workflow, state) is a key of ``needed`` and the user holds one of its roles there.

    Roles the user holds everywhere (global roles, ``authenticated``) open a pair outright;
    the others become unit / owner / local-role conditions on the row.
    """
    unconditional = frozenset({ANONYMOUS}) if user is None else frozenset({AUTHENTICATED, *user.roles})
    open_pairs, conditional = [], {}
    for pair, roles in needed.items():
        if roles & unconditional:
            open_pairs.append(pair)
        elif roles and user is not None:
            conditional.setdefault(roles, []).append(pair)
    terms = _pair_terms(open_pairs)
    for roles, pairs in conditional.items():
        dependent = _document_dependent_clause(user, roles, dialect)
        terms += [and_(term, dependent) for term in _pair_terms(pairs)]
    if not terms:
        return false()
    if not open_pairs:
        # Every term needs the user's unit, ownership or a local role: say so once more in
        # front, as one OR of indexed tests (unit_id, owner_id, id among the granted ids),
        # which both databases answer from their indexes (SQLite's multi-index OR,
        # PostgreSQL's BitmapOr) instead of testing every document against the terms.
        # Implied by the terms, so the answer is the same.
        return and_(_document_dependent_clause(user, frozenset().union(*conditional), dialect), or_(*terms))
    return or_(*terms)


class _Same:
    """A hashable handle on an object by identity (a ``WorkflowSet`` holds mappings, so it has no hash)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj


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
def _predicate(kind: str, workflows: _Same, permission: str | None, principal: Principal | None,
               dialect: str | None):
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
    return clause_for_roles(principal, needed, dialect)


def permitted_clause(user: User | None, permission: str, workflows, dialect: str | None = None):
    """A SQL condition on ``Node``: the documents where ``user`` has ``permission``.

    Same answer as :func:`permits` for every workflowed node (the property test says so);
    nodes without a workflow never match.  ``dialect`` (the session's, e.g. ``"postgresql"``)
    only chooses among equivalent spellings the database's planner answers faster.
    Built once per user and permission (:func:`_predicate`).
    """
    return _predicate("permitted", _Same(workflows), permission, Principal.of(user), dialect)


def actionable_clause(user: User | None, workflows, dialect: str | None = None):
    """SQL on ``Node``: documents on which ``user`` holds a role of some transition leaving their state.

    (Guards are not evaluated here; a worklist shows them per document.)  The ``system``
    role is the sweeper's: it puts nothing on a person's worklist.
    """
    return _predicate("actionable", _Same(workflows), None, Principal.of(user), dialect)


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
