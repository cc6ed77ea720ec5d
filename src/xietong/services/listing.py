"""Listings: the worklist ("待我处理"), a unit's documents, per-type listings with filters.

Every query is permission-filtered in SQL (``security.permitted_clause``) and loads
documents with all their subclass columns in one statement (``with_polymorphic``),
so a page of 50 costs a constant number of queries.
"""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import with_polymorphic

from ..models import Node
from ..security import actionable_clause, permitted_clause

MAX_PAGE = 200


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    limit: int
    offset: int


def _bounded(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(int(limit), MAX_PAGE)), max(0, min(int(offset), 10**9))


def documents(dbsession, workflows, user, *, permission: str = "view", type_: str | None = None,
              state: str | None = None, unit_id: int | None = None, year: int | None = None,
              actionable: bool = False, extra=None, limit: int = 50, offset: int = 0) -> Page:
    """Documents ``user`` may ``permission``, newest first, filtered; ``actionable``: only those
    on which the user holds a role of a transition leaving their state (the worklist)."""
    limit, offset = _bounded(limit, offset)
    any_type = with_polymorphic(Node, "*")
    conditions = [any_type.workflow_id.is_not(None), any_type.trashed_at.is_(None),
                  permitted_clause(user, permission, workflows)]
    if actionable:
        conditions.append(actionable_clause(user, workflows))
    if type_:
        conditions.append(any_type.type == type_)
    if state:
        conditions.append(any_type.state == state)
    if unit_id:
        conditions.append(any_type.unit_id == unit_id)
    if year:
        conditions.append(func.extract("year", any_type.created_at) == year)
    if extra is not None:
        conditions.append(extra)
    total = dbsession.scalar(select(func.count(any_type.id)).where(*conditions))
    items = list(dbsession.scalars(
        select(any_type).where(*conditions).order_by(any_type.modified_at.desc(), any_type.id.desc())
        .limit(limit).offset(offset)))
    return Page(items, total, limit, offset)


def worklist(dbsession, workflows, user, limit: int = 50, offset: int = 0) -> Page:
    return documents(dbsession, workflows, user, actionable=True, limit=limit, offset=offset)


def worklist_count(dbsession, workflows, user) -> int:
    return documents(dbsession, workflows, user, actionable=True, limit=1).total
