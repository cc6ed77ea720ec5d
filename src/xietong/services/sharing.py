"""Sharing (共享设置, as in Plone): local roles on one document, granted to a unit or a user.

A :class:`~xietong.models.LocalRole` row gives its unit (every user of it) or its user a
role on that one document; :func:`xietong.security.roles_on` and the SQL listings
(:func:`xietong.security.permitted_clause`) honour it at once, and what the role allows
comes, as always, from the permission map of the document's current state.

Which roles can be granted (:data:`GRANTABLE_ROLES`) — a deliberate, short list:

* ``lead`` (牵头单位) and ``contributor`` (配合单位): they describe another unit's part
  in the work on this document, which is what sharing is for.

Never grantable: ``owner`` (who created it is a fact, not a grant), ``staff``/``head``
(membership of the document's unit), the global authority roles ``admin``,
``reviewer``, ``finance``, ``auditor``, ``leader`` (a unit head could otherwise make a
colleague the reviewer of the unit's own filing: the review exists to be done by
someone else), ``system`` (the sweeper), ``anonymous``/``authenticated``.  Plone's rule
"delegate only roles you hold" does not fit here — the manager of a document holds
neither lead nor contributor on it — so instead the list is closed, nobody can grant
a role to themselves, and every grant and revocation is written to the audit log
(action ``local_role.granted`` / ``local_role.revoked``; the target is the unit or
user, the details name the document and the role).

A rectification order's target unit holds ``contributor`` because of its
``target_unit`` field (:mod:`xietong.services.content` keeps that row); it cannot be
revoked here — change the target unit instead.

The services do not check the ``manage`` permission; the views do (as for edits).
Duplicate rows are refused here; the table's unique constraint cannot catch them
because one of unit/user is always NULL.  Two simultaneous identical grants could
still both insert — harmless, since roles form a set and :func:`revoke` removes every
matching row.
"""
from sqlalchemy import select

from ..i18n import _
from ..models import LocalRole, RectificationOrder, Unit, User
from . import ServiceError
from .audit import record

#: The roles a document's manager may grant on it, in the form's order (titles: ROLE_TITLES).
GRANTABLE_ROLES = ("lead", "contributor")


def what_role_allows(definition, role: str) -> tuple[list[tuple[str, list[str]]], list]:
    """What ``role`` opens in a workflow: [(state title, permissions)], [transitions]."""
    states = [(state.title, sorted(p for p in state.permissions if role in state.roles_for(p)))
              for state in definition.states.values()]
    transitions = [t for t in definition.transitions if role in t.roles]
    return [(title, permissions) for title, permissions in states if permissions], transitions


def _check(role: str, unit: Unit | None, user: User | None) -> None:
    if role not in GRANTABLE_ROLES:
        raise ServiceError(_("This role cannot be granted here: ${role}", mapping={"role": str(role)[:40]}), "role")
    if (unit is None) == (user is None):
        raise ServiceError(_("Choose either a unit or a user"), "principal")


def _matching(document, role: str, unit: Unit | None, user: User | None) -> list[LocalRole]:
    return [r for r in document.local_role_rows
            if r.role == role and ((unit is not None and r.unit_id == unit.id)
                                   or (user is not None and r.user_id == user.id))]


def _details(document, role: str) -> dict:
    return {"document": document.id, "path": document.path, "title": document.title, "role": role}


def local_roles(dbsession, document) -> list[tuple[LocalRole, Unit | None, User | None]]:
    """The document's local roles with their unit or user, units first, then by name."""
    rows = list(document.local_role_rows)
    unit_ids = {r.unit_id for r in rows if r.unit_id}
    user_ids = {r.user_id for r in rows if r.user_id}
    units = {u.id: u for u in dbsession.scalars(select(Unit).where(Unit.id.in_(unit_ids)))} if unit_ids else {}
    users = {u.id: u for u in dbsession.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    result = [(r, units.get(r.unit_id), users.get(r.user_id)) for r in rows]
    return sorted(result, key=lambda t: (t[1] is None, t[1].sort_order if t[1] else 0,
                                         t[1].code if t[1] else t[2].username if t[2] else "", t[0].role))


def is_derived(document, row: LocalRole) -> bool:
    """True for rows kept by another service (a rectification order's target unit)."""
    return (isinstance(document, RectificationOrder) and row.role == "contributor" and row.unit_id is not None
            and row.unit_id == document.target_unit_id)


def find_unit(dbsession, code: str) -> Unit:
    unit = dbsession.scalar(select(Unit).where(Unit.code == (code or "").strip()))
    if unit is None or not unit.active:
        raise ServiceError(_("No such unit: ${code}", mapping={"code": (code or "")[:40]}), "unit")
    return unit


def find_user(dbsession, username: str) -> User:
    user = dbsession.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or not user.active:
        raise ServiceError(_("No such user: ${name}", mapping={"name": (username or "")[:40]}), "username")
    return user


def grant(dbsession, document, *, role: str, unit: Unit | None = None, user: User | None = None,
          actor: User, address: str | None = None) -> LocalRole:
    """Give ``unit`` (all its users) or ``user`` the local ``role`` on ``document``; audited."""
    _check(role, unit, user)
    if user is not None and user.id == actor.id:
        raise ServiceError(_("You cannot grant a role to yourself"), "username")
    if (unit is not None and not unit.active) or (user is not None and not user.active):
        raise ServiceError(_("Roles can only be granted to active units and users"), "principal")
    if _matching(document, role, unit, user):
        raise ServiceError(_("${name} already holds this role here",
                             mapping={"name": unit.name if unit is not None else user.display_name}), "principal")
    row = LocalRole(unit_id=unit.id if unit is not None else None, user_id=user.id if user is not None else None,
                    role=role)
    document.local_role_rows.append(row)
    record(dbsession, actor, "local_role.granted", unit if unit is not None else user, _details(document, role),
           address)
    dbsession.flush()
    return row


def revoke(dbsession, document, *, role: str, unit: Unit | None = None, user: User | None = None,
           actor: User, address: str | None = None) -> int:
    """Take the local ``role`` on ``document`` from ``unit`` or ``user``; audited.  Rows removed."""
    _check(role, unit, user)
    rows = _matching(document, role, unit, user)
    if not rows:
        raise ServiceError(_("${name} does not hold this role here",
                             mapping={"name": unit.name if unit is not None else user.display_name}), "principal")
    if any(is_derived(document, r) for r in rows):
        raise ServiceError(_("The target unit of a rectification order keeps this role; "
                             "change the order's target unit instead"), "principal")
    for row in rows:
        document.local_role_rows.remove(row)  # delete-orphan: the row is deleted
    record(dbsession, actor, "local_role.revoked", unit if unit is not None else user, _details(document, role),
           address)
    dbsession.flush()
    return len(rows)
