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

from pyramid.interfaces import ISecurityPolicy
from pyramid.security import Allowed, Denied
from sqlalchemy import and_, exists, false, or_, select, tuple_
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


def _document_dependent_clause(user: User, roles: frozenset[str]):
    """SQL: the user holds one of ``roles`` on the node through its unit, ownership or a local role."""
    terms = []
    if user.unit_role and user.unit_role in roles:
        terms.append(Node.unit_id == user.unit_id)
    if "owner" in roles:
        terms.append(Node.owner_id == user.id)
    terms.append(exists(select(LocalRole.id).where(
        LocalRole.node_id == Node.id, LocalRole.role.in_(sorted(roles)),
        or_(LocalRole.user_id == user.id, LocalRole.unit_id == user.unit_id))))
    return or_(*terms)


def clause_for_roles(user: User | None, needed: dict[tuple[str, str], frozenset[str]]):
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
    terms = []
    if open_pairs:
        terms.append(tuple_(Node.workflow_id, Node.state).in_(open_pairs))
    for roles, pairs in conditional.items():
        terms.append(and_(tuple_(Node.workflow_id, Node.state).in_(pairs),
                          _document_dependent_clause(user, roles)))
    return or_(*terms) if terms else false()


def permitted_clause(user: User | None, permission: str, workflows):
    """A SQL condition on ``Node``: the documents where ``user`` has ``permission``.

    Same answer as :func:`permits` for every workflowed node (the property test says so);
    nodes without a workflow never match.
    """
    needed = {(c.id, s.id): s.roles_for(permission) for c in workflows for s in c.definition.states.values()}
    return clause_for_roles(user, needed)


def actionable_clause(user: User | None, workflows):
    """SQL on ``Node``: documents on which ``user`` holds a role of some transition leaving their state.

    (Guards are not evaluated here; a worklist shows them per document.)  The ``system``
    role is the sweeper's: it puts nothing on a person's worklist.
    """
    needed = {}
    for compiled in workflows:
        for state in compiled.definition.states:
            roles = frozenset().union(*(t.roles for t in compiled.definition.transitions_from(state)))
            needed[(compiled.id, state)] = roles - {"system"}
    return clause_for_roles(user, needed)


def is_api_request(request) -> bool:
    return request.path_info == "/api" or request.path_info.startswith("/api/")


@implementer(ISecurityPolicy)
class SecurityPolicy:
    def identity(self, request) -> Identity | None:
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
        return []

    def forget(self, request, **kw):
        """Log out: revoke this login server-side and empty the session."""
        sessions.end(request)
        return []


def includeme(config):
    config.set_security_policy(SecurityPolicy())
