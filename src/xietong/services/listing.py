"""Listings: the worklist ("待我处理"), a unit's documents, per-type listings with filters.

Every query is permission-filtered in SQL (``security.permitted_clause``) and loads
documents with all their subclass columns in one statement (``with_polymorphic``),
so a page of 50 costs a constant number of queries (``tests/test_sql_counts.py``
counts them).
"""
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Integer, bindparam, func, literal_column, select
from sqlalchemy.orm import lazyload, selectinload, with_polymorphic

from ..generation import cached
from ..models import Node
from ..security import Principal, ByIdentity, actionable_clause, permitted_clause

MAX_PAGE = 200
# Pages for people count at most this many matches and say "more than 1,000": an exact count
# of a reviewer's 46,902 worklist documents took 25 ms of every worklist page at 100k
# documents, the page itself 0.1 ms (docs/PERFORMANCE.md).  The API counts exactly.
COUNT_CAP = 1000


@dataclass(frozen=True)
class Page:
    items: list
    total: int  # with ``capped``: a lower bound, ``count_cap + 1``
    limit: int
    offset: int
    capped: bool = False

    def pages(self) -> int:
        """How many pages to offer: all of them, or when capped one past the current while it is full."""
        known = max(1, -(-self.total // self.limit))
        if not self.capped:
            return known
        current = self.offset // self.limit + 1
        return max(known, current + 1 if len(self.items) == self.limit else current)


def _bounded(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(int(limit), MAX_PAGE)), max(0, min(int(offset), 10**9))


def _dialect(dbsession) -> str:
    return dbsession.get_bind().dialect.name


def _conditions(dialect, user, workflows, permission, type_, state, unit_id, year, actionable, extra) -> list:
    conditions = [Node.workflow_id.is_not(None), Node.trashed_at.is_(None),
                  permitted_clause(user, permission, workflows, dialect, state=state)]
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


def load_documents(dbsession, rows, *, related: bool = True) -> list:
    """The documents of ``rows`` — ``(id, type)`` pairs, in order — with their type's columns and unit.

    Only the types on the page are joined: with every type's table outer-joined, PostgreSQL
    spent 4–6 ms planning the load of 20 search hits (docs/PERFORMANCE.md).  The units come
    in one more statement (``selectinload``): rows of a listing show their unit, and a lazy
    load per distinct unit was 43 statements on a page of 50.  ``related=False``: none of
    the types' collections (a filing's systems, a plan's items and their systems, local
    roles) — rows that show only columns do not need them, and loading them was a third of
    a search page (6.7 ms of 20 hits at 100k documents).
    """
    if not rows:
        return []
    statement = _load_statement(tuple(sorted({type_ for _id, type_ in rows})), related)
    ids = [id_ for id_, _type in rows]
    loaded = {d.id: d for d in dbsession.scalars(statement, {"ids": ids})}
    return [loaded[i] for i in ids if i in loaded]


@lru_cache(maxsize=512)
def _load_statement(types: tuple[str, ...], related: bool):
    mappers = Node.__mapper__.polymorphic_map
    classes = [mappers[t].class_ for t in types if t in mappers and mappers[t].class_ is not Node]
    some_types = with_polymorphic(Node, classes)
    options = [selectinload(some_types.unit)]
    if not related:
        options.append(lazyload("*"))
    return select(some_types).where(some_types.id.in_(bindparam("ids", expanding=True))).options(*options)


def documents(dbsession, workflows, user, *, permission: str = "view", type_: str | None = None,
              state: str | None = None, unit_id: int | None = None, year: int | None = None,
              actionable: bool = False, extra=None, limit: int = 50, offset: int = 0,
              count_cap: int | None = None) -> Page:
    """Documents ``user`` may ``permission``, newest first, filtered; ``actionable``: only those
    on which the user holds a role of a transition leaving their state (the worklist).

    Three statements, whatever the page size: the count and the page's ids on ``nodes``
    alone (no subclass joins to carry through the count and the sort: at 100k documents
    the outer joins of ``with_polymorphic`` cost more than the filter), then the page's
    documents by id with every subclass's columns.  ``count_cap``: count at most that many
    (and one more, to know there are more).  The count is cached until the next write
    (:mod:`xietong.generation`): paging through a worklist counts it once.
    """
    limit, offset = _bounded(limit, offset)
    dialect = _dialect(dbsession)
    key = (permission, type_, state, unit_id, year, actionable, count_cap)
    if extra is None:
        principal, handle = Principal.of(user), ByIdentity(workflows)
        statements = _statements(handle, principal, dialect, *key)
        total = cached(dbsession, ("listing_count", handle, principal, key), lambda: dbsession.scalar(statements.count))
    else:
        statements = _build(_conditions(dialect, user, workflows, *key[:-1], extra), dialect, count_cap)
        total = dbsession.scalar(statements.count)
    page_ids = statements.few if total <= COUNT_CAP else statements.many
    rows = dbsession.execute(page_ids, {"page_limit": limit, "page_offset": offset}).all()
    return Page(load_documents(dbsession, rows, related=actionable), total, limit, offset,
                capped=count_cap is not None and total > count_cap)


@dataclass(frozen=True)
class _Statements:
    count: object
    few: object   # the page's ids when the count is at most COUNT_CAP
    many: object  # ... and when it is more


def _build(conditions: list, dialect: str, cap: int | None) -> _Statements:
    def page_ids(few: bool):
        return (select(Node.id, Node.type).where(*conditions).order_by(*newest_first(dialect, few))
                .limit(bindparam("page_limit", type_=Integer)).offset(bindparam("page_offset", type_=Integer)))
    return _Statements(count_statement(conditions, cap), page_ids(True), page_ids(False))


@lru_cache(maxsize=4096)
def _statements(workflows, principal, dialect, permission, type_, state, unit_id, year, actionable,
                cap) -> _Statements:
    """The statements of a listing, built once per principal and filters and then reused.

    The same statement object is what makes SQLAlchemy's compiled cache cheap: for a new
    one it computes the cache key of the whole permission predicate again, 0.9 ms of the
    navigation's badge on every page, against 0.15 ms to run the reused one (at 100k
    documents; the predicate is immutable, see :func:`xietong.security._predicate`).
    """
    conditions = _conditions(dialect, principal, workflows.obj, permission, type_, state, unit_id, year,
                             actionable, None)
    return _build(conditions, dialect, cap)


def newest_first(dialect: str, few: bool) -> tuple:
    """ORDER BY modified_at DESC, id DESC — and on SQLite, for few matches, not from ix_nodes_recent.

    With ``LIMIT`` SQLite likes to walk ix_nodes_recent newest first and test each node,
    which finds a page of a reviewer's tens of thousands at once but reads all 100k
    entries for a rare type (33 ms for the 17 key tasks).  When the count says there are
    few, ``+modified_at`` (SQLite's documented way to keep an index out of an ORDER BY)
    makes it find them through the predicate's indexes and sort those few.
    """
    if few and dialect == "sqlite":
        return literal_column("+nodes.modified_at").desc(), literal_column("+nodes.id").desc()
    return Node.modified_at.desc(), Node.id.desc()


def count_statement(conditions: list, cap: int | None):
    """COUNT on ``nodes`` alone; with ``cap`` it stops at ``cap + 1`` (the database stops scanning there)."""
    if cap is None:
        return select(func.count()).select_from(Node).where(*conditions)
    found = select(Node.id).where(*conditions).limit(cap + 1).subquery()
    return select(func.count()).select_from(found)


def count(dbsession, conditions: list, cap: int | None) -> int:
    return dbsession.scalar(count_statement(conditions, cap))


def worklist(dbsession, workflows, user, limit: int = 50, offset: int = 0, count_cap: int | None = None) -> Page:
    return documents(dbsession, workflows, user, actionable=True, limit=limit, offset=offset, count_cap=count_cap)


def worklist_count(dbsession, workflows, user, cap: int | None = None) -> int:
    """How many documents are on the user's worklist: one COUNT on ``nodes``, nothing loaded.

    With ``cap``, counting stops at ``cap + 1`` (the navigation shows "99+"): the database
    stops scanning once it has found that many, where an exact count of a reviewer's
    tens of thousands of documents would cost a scan on every page.  Cached until the next
    write (:mod:`xietong.generation`): even bounded it is the costliest statement of most
    pages (1–4 ms on SQLite, 5–10 ms on PostgreSQL at 100k documents).
    """
    principal, handle = Principal.of(user), ByIdentity(workflows)
    statements = _statements(handle, principal, _dialect(dbsession), "view", None, None, None, None, True, cap)
    return cached(dbsession, ("worklist_count", handle, principal, cap), lambda: dbsession.scalar(statements.count))
