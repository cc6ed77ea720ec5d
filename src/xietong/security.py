"""Who the requester is, which roles they hold on a context, and what that permits.

Algorithm of :meth:`SecurityPolicy.permits` (deny by default):

1. The identity is the active user named by the session (HTML) or by a bearer
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
3. The roles allowed ``permission`` on ``context`` come from
   ``context.roles_for(permission)`` (a workflowed document answers from its
   current state's permission map).  An unknown permission allows no one.
4. Allowed if the two sets meet; otherwise :class:`Denied` whose message names
   the roles that would have been needed.
"""
from dataclasses import dataclass, field

from pyramid.security import Allowed, Denied
from pyramid.interfaces import ISecurityPolicy
from zope.interface import implementer

from . import tokens
from .models import User

ANONYMOUS = "anonymous"
AUTHENTICATED = "authenticated"


@dataclass(frozen=True)
class Identity:
    user: User
    via: str  # "session" or "token"
    token_id: int | None = None
    extra: dict = field(default_factory=dict)


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


def allowed_roles(context, permission: str) -> frozenset[str]:
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


def permits(user: User | None, context, permission: str):
    """Allowed or :class:`RoleDenied`, with the reason (steps 2–4 of the module docstring)."""
    held = roles_on(user, context)
    needed = allowed_roles(context, permission)
    if held & needed:
        return Allowed("%r granted by role %r", permission, sorted(held & needed)[0])
    return RoleDenied(permission, needed, held)


def is_api_request(request) -> bool:
    return request.path_info == "/api" or request.path_info.startswith("/api/")


@implementer(ISecurityPolicy)
class SecurityPolicy:
    def identity(self, request) -> Identity | None:
        if is_api_request(request):
            return tokens.identity_from_bearer(request)
        user_id = request.session.get("user_id")
        if user_id is None:
            return None
        user = request.dbsession.get(User, user_id)
        if user is None or not user.active:
            return None
        return Identity(user=user, via="session")

    def authenticated_userid(self, request):
        identity = request.identity
        return identity.user.id if identity else None

    def permits(self, request, context, permission):
        identity = request.identity
        return permits(identity.user if identity else None, context, permission)

    def remember(self, request, userid, **kw):
        # Rotate the session on login: a fixed session id cannot be planted.
        request.session.invalidate()
        request.session["user_id"] = userid
        request.session.new_csrf_token()
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
        return []


def includeme(config):
    config.set_security_policy(SecurityPolicy())
