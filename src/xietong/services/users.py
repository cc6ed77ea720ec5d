"""Users: create, change, deactivate, passwords.  Every change is written to the audit log."""
import secrets

from sqlalchemy import select

from ..i18n import _
from ..models import User, UserRole
from ..passwords import hash_password, policy_problem, verify_password
from . import ServiceError
from .audit import record
from .units import require_unit


def user_by_username(dbsession, username: str) -> User | None:
    return dbsession.execute(select(User).where(User.username == username)).scalar_one_or_none()


def all_users(dbsession) -> list[User]:
    return list(dbsession.scalars(select(User).order_by(User.unit_id, User.username)))


def _check_password(password: str, username: str) -> None:
    problem = policy_problem(password, username)
    if problem:
        raise ServiceError(problem, "password")


def _set_roles(dbsession, actor, user: User, roles, address) -> None:
    wanted, held = set(roles), set(user.roles)
    for row in list(user.role_rows):
        if row.role not in wanted:
            user.role_rows.remove(row)
            record(dbsession, actor, "role.removed", user, {"role": row.role}, address)
    for role in sorted(wanted - held):
        user.role_rows.append(UserRole(role=role))
        record(dbsession, actor, "role.granted", user, {"role": role}, address)


def create_user(dbsession, actor, data: dict, address: str | None = None) -> User:
    """Create a user from validated ``data`` (username, display_name, unit code, unit_role,
    roles, password)."""
    if user_by_username(dbsession, data["username"]) is not None:
        raise ServiceError(_("This username is already taken"), "username")
    unit = require_unit(dbsession, data["unit"])
    _check_password(data["password"], data["username"])
    user = User(username=data["username"], display_name=data["display_name"], unit=unit,
                unit_role=data.get("unit_role"), password_hash=hash_password(data["password"]),
                active=True, must_change_password=bool(data.get("must_change_password")))
    dbsession.add(user)
    dbsession.flush()
    record(dbsession, actor, "user.created", user,
           {"unit": unit.code, "unit_role": user.unit_role}, address)
    _set_roles(dbsession, actor, user, data.get("roles", ()), address)
    dbsession.flush()
    return user


def update_user(dbsession, actor, user: User, data: dict, address: str | None = None) -> dict:
    changes = {}
    if "unit" in data:
        unit = require_unit(dbsession, data["unit"])
        if unit.id != user.unit_id:
            changes["unit"] = [user.unit.code, unit.code]
            user.unit = unit
    for field in ("display_name", "unit_role"):
        if field in data and getattr(user, field) != data[field]:
            changes[field] = [getattr(user, field), data[field]]
            setattr(user, field, data[field])
    if "active" in data and user.active != data["active"]:
        if actor is not None and actor.id == user.id and not data["active"]:
            raise ServiceError(_("You cannot deactivate your own account"), "active")
        changes["active"] = [user.active, data["active"]]
        user.active = data["active"]
    if changes:
        action = "user.deactivated" if changes.get("active") == [True, False] else "user.changed"
        record(dbsession, actor, action, user, changes, address)
    if "roles" in data:
        _set_roles(dbsession, actor, user, data["roles"], address)
    dbsession.flush()
    return changes


def deactivate_user(dbsession, actor, user: User, address: str | None = None) -> None:
    update_user(dbsession, actor, user, {"active": False}, address)


def reset_password(dbsession, actor, user: User, address: str | None = None) -> str:
    """Give ``user`` a random temporary password (returned once), end their logins and tokens,
    and force a change at next login."""
    from .. import sessions, tokens

    temporary = secrets.token_urlsafe(9)
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    # whoever held the old password is logged out everywhere and loses API access
    sessions.revoke_all(dbsession, user.id)
    tokens.revoke_all(dbsession, user.id)
    record(dbsession, actor, "password.reset", user, {}, address)
    dbsession.flush()
    return temporary


def change_password(dbsession, user: User, current: str, new: str, address: str | None = None) -> None:
    if not verify_password(user.password_hash, current):
        raise ServiceError(_("The current password is wrong"), "current_password")
    if current == new:
        raise ServiceError(_("The new password must differ from the current one"), "new_password")
    problem = policy_problem(new, user.username)
    if problem:
        raise ServiceError(problem, "new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    record(dbsession, user, "password.changed", user, {}, address)
    dbsession.flush()
