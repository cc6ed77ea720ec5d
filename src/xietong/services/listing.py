"""Listings: the worklist ("待我处理"), a unit's documents, per-type listings with filters.

Every query is permission-filtered in SQL (``security.permitted_clause``) and loads
documents with all their subclass columns in one statement (``with_polymorphic``),
so a page of 50 costs a constant number of queries (``tests/test_sql_counts.py``
counts them).
"""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload, with_polymorphic

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


def _dialect(dbsession) -> str:
    return dbsession.get_bind().dialect.name


def _conditions(dialect, user, workflows, permission, type_, state, unit_id, year, actionable, extra) -> list:
    conditions = [Node.workflow_id.is_not(None), Node.trashed_at.is_(None),
                  permitted_clause(user, permission, workflows, dialect)]
    if actionable:
        conditions.append(actionable_clause(user, workflows, dialect))
    if type_:
        conditions.append(Node.type == type_)
    if state:
        conditions.append(Node.state == state)
    if unit_id:
        conditions.append(Node.unit_id == unit_id)
    if year:
        conditions.append(func.extract("year", Node.created_at) == year)
    if extra is not None:
        conditions.append(extra)
    return conditions


def load_documents(dbsession, ids: list[int]) -> list:
    """The documents ``ids`` in that order, each with its subclass columns and its unit.

    The units come in one more statement (``selectinload``): rows of a listing show their
    unit, and a lazy load per distinct unit was 43 statements on a page of 50.
    """
    if not ids:
        return []
    any_type = with_polymorphic(Node, "*")
    loaded = {d.id: d for d in dbsession.scalars(select(any_type).where(any_type.id.in_(ids))
                                                 .options(selectinload(any_type.unit)))}
    return [loaded[i] for i in ids if i in loaded]


def documents(dbsession, workflows, user, *, permission: str = "view", type_: str | None = None,
              state: str | None = None, unit_id: int | None = None, year: int | None = None,
              actionable: bool = False, extra=None, limit: int = 50, offset: int = 0) -> Page:
    """Documents ``user`` may ``permission``, newest first, filtered; ``actionable``: only those
    on which the user holds a role of a transition leaving their state (the worklist).

    Three statements, whatever the page size: the count and the page's ids on ``nodes``
    alone (no subclass joins to carry through the count and the sort: at 100k documents
    the outer joins of ``with_polymorphic`` cost more than the filter), then the page's
    documents by id with every subclass's columns.
    """
    limit, offset = _bounded(limit, offset)
    conditions = _conditions(_dialect(dbsession), user, workflows, permission, type_, state, unit_id, year,
                             actionable, extra)
    total = dbsession.scalar(select(func.count()).select_from(Node).where(*conditions))
    ids = list(dbsession.scalars(select(Node.id).where(*conditions)
                                 .order_by(Node.modified_at.desc(), Node.id.desc()).limit(limit).offset(offset)))
    return Page(load_documents(dbsession, ids), total, limit, offset)


def worklist(dbsession, workflows, user, limit: int = 50, offset: int = 0) -> Page:
    return documents(dbsession, workflows, user, actionable=True, limit=limit, offset=offset)


def worklist_count(dbsession, workflows, user, cap: int | None = None) -> int:
    """How many documents are on the user's worklist: one COUNT on ``nodes``, nothing loaded.

    With ``cap``, counting stops at ``cap + 1`` (the navigation shows "99+"): the database
    stops scanning once it has found that many, where an exact count of a reviewer's
    tens of thousands of documents would cost a scan on every page.
    """
    conditions = _conditions(_dialect(dbsession), user, workflows, "view", None, None, None, None, True, None)
    if cap is None:
        return dbsession.scalar(select(func.count()).select_from(Node).where(*conditions))
    found = select(Node.id).where(*conditions).limit(cap + 1).subquery()
    return dbsession.scalar(select(func.count()).select_from(found))
