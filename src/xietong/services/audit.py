"""The administrative audit log: append, and read (filtered, newest first)."""
from sqlalchemy import func, select

from ..i18n import _
from ..models import AuditEntry, User

ACTION_TITLES = {
    "user.created": _("User created"),
    "user.changed": _("User changed"),
    "user.deactivated": _("User deactivated"),
    "role.granted": _("Role granted"),
    "role.removed": _("Role removed"),
    "password.reset": _("Password reset"),
    "password.changed": _("Password changed"),
    "unit.created": _("Unit created"),
    "unit.changed": _("Unit changed"),
    "local_role.granted": _("Local role granted"),
    "local_role.revoked": _("Local role revoked"),
}


def record(dbsession, actor: User | None, action: str, target, details: dict | None = None,
           address: str | None = None) -> AuditEntry:
    """Append one entry.  ``target`` is a User or Unit (its kind, id and label are kept)."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=target.id,
        target_label=getattr(target, "username", None) or getattr(target, "name", ""),
        details=details or {},
        address=address,
    )
    dbsession.add(entry)
    return entry


def entries(dbsession, limit: int = 100, offset: int = 0, action: str | None = None):
    query = select(AuditEntry, User.username).outerjoin(User, AuditEntry.actor_id == User.id)
    count = select(func.count(AuditEntry.id))
    if action:
        query = query.where(AuditEntry.action == action)
        count = count.where(AuditEntry.action == action)
    rows = dbsession.execute(
        query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    ).all()
    return rows, dbsession.scalar(count)
