"""Full-text search over titles and texts, in Chinese, permission-filtered in SQL.

What is searched: ``nodes.search_text`` (the title and the type's text fields, kept by
:func:`xietong.services.content._apply`).  Semantics: *substring*, for every query
length — Chinese has no spaces between words, so a clerk's 政务 must find 政务服务网.

The query (:func:`parse_query`)
    Stripped and cut to :data:`MAX_QUERY_LENGTH` characters, then split on whitespace
    (the ideographic space 　 too) into terms; every term must occur (AND).  A term
    contained in another term is dropped (``政务 政务服务`` searches 政务服务 only).
    Control characters other than tab / CR / LF are refused (:class:`InvalidQuery`;
    the API answers 400): PostgreSQL cannot store NUL, and nobody types them.
    Nothing in a term is syntax: ``"``, ``*``, ``-``, ``AND``, ``NEAR(``, ``%``, ``_``
    and ``\\`` are searched for literally.

Per term length and database (the measured facts are in DESIGN.md, "Search")
    ==========  ==============================================  ========================================
    term        SQLite                                          PostgreSQL
    ==========  ==============================================  ========================================
    1–2 chars   ``search_text LIKE '%t%' ESCAPE '\\'``: a scan    the same LIKE: a sequential scan
                of nodes (trigram indexes hold nothing for it;   (the trigram index cannot help; the
                DESIGN: 20–35 ms at 100k rows)                   planner knows it from the pattern)
    3+ chars    ``id IN (SELECT rowid FROM search_fts WHERE      ``search_text LIKE '%term%' ESCAPE '\\'``
                search_fts MATCH '"t1" "t2"')`` — FTS5            — the GIN ``gin_trgm_ops`` index
                ``trigram``, each term a quoted phrase (``"``     ``ix_nodes_search_trgm`` (a bitmap
                doubled), phrases ANDed; nodes by rowid          index scan, rechecked)
    ==========  ==============================================  ========================================

    Mixed queries use the index for the long terms and LIKE as a filter for the short
    ones.  Never ``LIKE`` against the FTS5 table itself: SQLite 3.40 answers 0 rows for
    a two-character pattern there (DESIGN.md).  Latin letters match regardless of case,
    as SQLite's FTS5 trigram and LIKE both fold ASCII: PostgreSQL uses ``ILIKE`` (served
    by the same trigram index) for a term that has letters with case, and ``LIKE`` for
    the rest — Chinese, digits, punctuation — where the answer is the same and ILIKE's
    lower-casing of every scanned row made the short-term scan 2–3x slower (bench/search.py).

Filters and order
    Always ``permitted_clause(user, "view")`` (the workflow state maps, in SQL),
    ``trashed_at IS NULL`` and a workflow; optionally type, state and unit.  Order:
    documents whose *title* holds every term first, then newest (``modified_at``), then
    id.  No bm25: ranking every hit of a common word costs ~75 ms at 37k hits.  Pages for
    people count at most :data:`~xietong.services.listing.COUNT_CAP` hits ("more than
    1,000"; the API counts all), and the page is read newest first twice with a LIMIT —
    the title hits, then, if the page is not full, the other hits — so a common word is
    answered from the newest few hundred nodes instead of sorting all its hits (measured
    at 100k documents: 整改, 18,351 hits, 52 ms → see docs/PERFORMANCE.md).  On PostgreSQL,
    with many hits, the title hits are first looked for among the newest
    :data:`TITLE_WINDOW` nodes (:func:`_recent_title_hits`).  On ``nodes`` alone; then the
    page's documents with their subclass columns and units by id.

Prepared statements (PostgreSQL + psycopg 3)
    psycopg prepares a statement after it ran ``prepare_threshold`` (5) times on a
    connection; PostgreSQL then may switch to a *generic* plan that cannot see the
    pattern, and LIKE searches ran 2–3x slower for short patterns.  SQLAlchemy has no
    per-statement switch for psycopg's ``prepare=False``, so :func:`unprepared` sets
    ``prepare_threshold = None`` on the DBAPI connection for the duration of a search
    and restores it afterwards (nothing else on the connection is affected; psycopg
    then neither counts nor uses a prepared statement).  Not chosen: engine-wide
    ``connect_args={"prepare_threshold": None}`` (every other query would lose the
    parse/plan savings) and ``SET plan_cache_mode = force_custom_plan`` (a round trip
    per search, and it leaks into the rest of the transaction).

Cost (bench/search.py, 100k documents, figures there): a 1–2 character term scans
``nodes`` (~30 ms with nothing found) and pays ~30 ms more for the permission clause,
title test, count and sort over 15–27k hits; a rare 3+ character term answers from the
index in 1–15 ms.
"""
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass

import colander
from sqlalchemy import Integer, and_, column, func, literal_column, not_, select, table, text

from ..i18n import _
from ..generation import cached
from ..models import Node, Unit
from ..security import ByIdentity, Principal, permitted_clause
from . import ServiceError
from .listing import COUNT_CAP, MAX_PAGE, Page, count, load_documents, newest_first

MAX_QUERY_LENGTH = 100
TRIGRAM = 3  # terms at least this long are answered by the trigram index
DEFAULT_LIMIT = 20
MAX_OFFSET = 100_000
ALLOWED_CONTROLS = frozenset("\t\r\n")
ESCAPE = "\\"

#: SQLite's FTS5 table (migration 0004) — a lightweight construct, not in the models' metadata
search_fts = table("search_fts", column("rowid"), column("search_fts"))


class InvalidQuery(ServiceError):
    """The search text cannot be searched (control characters)."""


# -- the query -------------------------------------------------------------------------------------

def parse_query(q: str | None) -> tuple[str, ...]:
    """The terms of ``q`` (see the module docstring); raises :class:`InvalidQuery`."""
    q = q or ""
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in ALLOWED_CONTROLS for ch in q):
        raise InvalidQuery(_("The search text contains control characters"), "q")
    words = []
    for word in q.strip()[:MAX_QUERY_LENGTH].split():
        if word not in words:
            words.append(word)
    return tuple(w for w in words if not any(w != other and w in other for other in words))


def like_pattern(term: str) -> str:
    """``%term%`` with LIKE's own characters (``%``, ``_``, the escape ``\\``) escaped."""
    escaped = term.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{escaped}%"


def fts_phrases(terms) -> str:
    """An FTS5 query: every term a quoted phrase (``"`` doubled), all required."""
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _contains(column_, term: str, dialect: str):
    """``column_`` holds ``term``; ignoring case where the term has case (both databases alike)."""
    if dialect == "postgresql" and term.lower() != term.upper():
        return column_.ilike(like_pattern(term), escape=ESCAPE)
    return column_.like(like_pattern(term), escape=ESCAPE)


def text_conditions(terms, dialect: str, many: bool = False) -> list:
    """SQL conditions on ``Node``: every term occurs in ``search_text``.

    ``many`` (SQLite, the hits are known to be more than a page can sort cheaply): test the
    FTS5 hits as a set (``+id IN (...)``) while walking the newest-first index, instead of
    fetching and sorting every hit — 6,970 hits for 云平台: 21 ms → 1 ms for the page's ids.
    """
    if dialect == "sqlite":
        long_terms = [t for t in terms if len(t) >= TRIGRAM]
        conditions = [_contains(Node.search_text, t, dialect) for t in terms if len(t) < TRIGRAM]
        if long_terms:
            node_id = literal_column("+nodes.id", Integer) if many else Node.id
            conditions.insert(0, node_id.in_(
                select(search_fts.c.rowid).where(search_fts.c.search_fts.match(fts_phrases(long_terms)))))
        return conditions
    return [_contains(Node.search_text, t, dialect) for t in terms]


# -- prepared statements ---------------------------------------------------------------------------

@contextmanager
def unprepared(dbsession):
    """Within the block, psycopg prepares no statement on the session's connection."""
    connection = dbsession.connection()
    if connection.dialect.driver != "psycopg":
        yield
        return
    driver_connection = connection.connection.driver_connection
    previous = driver_connection.prepare_threshold
    driver_connection.prepare_threshold = None
    try:
        yield
    finally:
        driver_connection.prepare_threshold = previous


# -- the search ------------------------------------------------------------------------------------

def search(dbsession, workflows, user, q, *, type_: str | None = None, state: str | None = None,
           unit_id: int | None = None, limit: int = DEFAULT_LIMIT, offset: int = 0,
           count_cap: int | None = None) -> Page:
    """The documents ``user`` may view that contain every term of ``q``, title hits first, newest next.

    An empty ``q`` searches nothing: every viewable document matching the filters.
    ``count_cap``: count at most that many hits (pages for people; the API counts all).
    Raises :class:`InvalidQuery` for control characters in ``q``.
    """
    terms = parse_query(q)
    limit, offset = max(1, min(int(limit), MAX_PAGE)), max(0, min(int(offset), MAX_OFFSET))
    dialect = dbsession.get_bind().dialect.name
    filters = []
    if type_:
        filters.append(Node.type == type_)
    if state:
        filters.append(Node.state == state)
    if unit_id is not None:
        filters.append(Node.unit_id == unit_id)
    filters += [Node.workflow_id.is_not(None), Node.trashed_at.is_(None),
                permitted_clause(user, "view", workflows, dialect, state=state)]
    # SQLite tests the terms of a scan in this order: the text first, the permission clause last
    with unprepared(dbsession):
        # cached until the next write (xietong.generation): paging through the hits counts them once
        total = cached(dbsession, ("search_count", ByIdentity(workflows), Principal.of(user), terms, type_, state,
                                   unit_id, count_cap),
                       lambda: count(dbsession, text_conditions(terms, dialect) + filters, count_cap))
        few = total <= COUNT_CAP
        rows = _page_ids(dbsession, text_conditions(terms, dialect, many=not few), filters, terms, dialect,
                         limit, offset, few=few) if total else []
    return Page(load_documents(dbsession, rows, related=False), total, limit, offset,
                capped=count_cap is not None and total > count_cap)


def _page_ids(dbsession, in_text: list, filters: list, terms, dialect, limit: int, offset: int,
              few: bool) -> list:
    """The page's ``(id, type)`` rows: the hits whose title holds every term, newest first, then the others.

    Two newest-first reads with a LIMIT instead of one sort of every hit: a common word
    (整改: 18,351 hits at 100k documents) is found in the first few hundred nodes of
    ix_nodes_recent, where sorting all its hits by "title first" took 30–50 ms.
    """
    order = newest_first(dialect, few)

    def newest(*extra, skip: int, take: int) -> list:
        return list(dbsession.execute(select(Node.id, Node.type).where(*in_text, *filters, *extra)
                                      .order_by(*order).offset(skip).limit(take)))

    if not terms:
        return newest(skip=offset, take=limit)
    in_title = and_(*[_contains(Node.title, t, dialect) for t in terms])
    titled = None
    if dialect == "postgresql" and not few:
        titled = _recent_title_hits(dbsession, in_title, filters, order, offset + limit)
    if titled is None:
        titled = newest(in_title, skip=0, take=offset + limit)
    if len(titled) == offset + limit:  # the page is all title hits
        return titled[offset:]
    # every title hit is known now: the rest of the page comes from the other hits
    page = titled[offset:]
    return page + newest(not_(in_title), skip=max(0, offset - len(titled)), take=limit - len(page))


#: PostgreSQL, many hits: the title hits are first looked for among this many newest nodes
TITLE_WINDOW = 2000


def _recent_title_hits(dbsession, in_title, filters, order, take: int) -> list | None:
    """The newest ``take`` title hits if the newest :data:`TITLE_WINDOW` nodes hold them, else None.

    PostgreSQL, when the count says there are many hits.  With the text condition the
    planner trusts its estimate of a few dozen trigram matches and rechecks every candidate
    (政务服务网: 7,000 of them, 20 ms); a title is the first part of its document's search
    text, so the title's own condition suffices, and within a window of the newest nodes it
    walks ix_nodes_recent and stops at the page (0.3 ms).  The window bounds that walk for a
    term common in texts but rare in titles; a page it cannot fill is read the usual way.
    """
    boundary = (select(Node.modified_at).order_by(Node.modified_at.desc())
                .offset(TITLE_WINDOW - 1).limit(1).scalar_subquery())
    since = func.coalesce(boundary, literal_column("'-infinity'::timestamptz"))
    rows = list(dbsession.execute(select(Node.id, Node.type).where(in_title, Node.modified_at >= since, *filters)
                                  .order_by(*order).limit(take)))
    return rows if len(rows) == take else None


# -- parameters of the page and the API ------------------------------------------------------------

def _unit_type(dbsession):
    class UnitRef(colander.SchemaType):
        """A unit by id (digits) or by code; deserialises to the unit's id."""

        def serialize(self, node, appstruct):
            return colander.null if appstruct in (None, colander.null) else str(appstruct)

        def deserialize(self, node, cstruct):
            if cstruct in (colander.null, None, ""):
                return colander.null
            value = str(cstruct).strip()
            if not value.isprintable():  # never hand NUL to PostgreSQL
                raise colander.Invalid(node, _("Control characters are not allowed"))
            is_id = value.isascii() and value.isdigit() and len(value) < 12
            where = Unit.id == int(value) if is_id else Unit.code == value[:40]
            found = dbsession.scalar(select(Unit.id).where(where))
            if found is None:
                raise colander.Invalid(node, _("Unknown unit: ${unit}", mapping={"unit": value[:40]}))
            return found

    return UnitRef()


def _query_validator(node, value):
    try:
        parse_query(value)
    except InvalidQuery as exc:
        raise colander.Invalid(node, exc.message) from None


def params_schema(dbsession, workflows, type_names) -> colander.SchemaNode:
    """The GET parameters of ``/search`` and ``/api/search``: ``q type state unit limit offset``.

    One schema for both (DESIGN: colander is the one validation source); a bad value
    is a ``colander.Invalid`` naming the parameter.
    """
    states = sorted({s for c in workflows for s in c.definition.states})
    schema = colander.SchemaNode(colander.Mapping(unknown="ignore"))
    schema.add(colander.SchemaNode(colander.String(), name="q", missing="", validator=_query_validator))
    schema.add(colander.SchemaNode(colander.String(), name="type", missing=None,
                                   validator=colander.OneOf(sorted(type_names))))
    schema.add(colander.SchemaNode(colander.String(), name="state", missing=None,
                                   validator=colander.OneOf(states)))
    schema.add(colander.SchemaNode(_unit_type(dbsession), name="unit", missing=None))
    schema.add(colander.SchemaNode(colander.Integer(), name="limit", missing=DEFAULT_LIMIT,
                                   validator=colander.Range(1, MAX_PAGE)))
    schema.add(colander.SchemaNode(colander.Integer(), name="offset", missing=0,
                                   validator=colander.Range(0, MAX_OFFSET)))
    return schema


@dataclass(frozen=True)
class Params:
    q: str = ""
    type_: str | None = None
    state: str | None = None
    unit_id: int | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def search(self, dbsession, workflows, user, count_cap: int | None = None) -> Page:
        return search(dbsession, workflows, user, self.q, type_=self.type_, state=self.state,
                      unit_id=self.unit_id, limit=self.limit, offset=self.offset, count_cap=count_cap)


def parse_params(dbsession, workflows, type_names, params) -> Params:
    """Validated :class:`Params` from a request's GET parameters; raises ``colander.Invalid``.

    Empty strings count as absent (an HTML form sends ``type=`` for "any type").
    """
    cstruct = {k: params.get(k) for k in ("q", "type", "state", "unit", "limit", "offset")
               if params.get(k) not in (None, "")}
    data = params_schema(dbsession, workflows, type_names).deserialize(cstruct)
    return Params(q=data["q"], type_=data["type"], state=data["state"], unit_id=data["unit"],
                  limit=data["limit"], offset=data["offset"])


# -- start-up check --------------------------------------------------------------------------------

SQLITE_TRIGGERS = ("search_fts_ai", "search_fts_ad", "search_fts_au")
PROBE = "政务信息"


class SearchIndexUnusable(RuntimeError):
    """The database cannot answer Chinese searches; the message says how to fix it."""


def check_search_index(engine) -> None:
    """Refuse a database whose search index cannot work (called at start-up, after the migration check).

    PostgreSQL: ``show_trgm('政务信息')`` must yield trigrams — with ``LC_CTYPE`` ``C``
    pg_trgm treats CJK characters as non-word characters and indexes nothing.
    SQLite: the three triggers that keep ``search_fts`` in step must exist (a batch
    migration that rebuilds ``nodes`` drops them).
    """
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            trigrams = conn.execute(text("SELECT show_trgm(:probe)"), {"probe": PROBE}).scalar()
            if not trigrams:
                database, ctype = conn.exec_driver_sql(
                    "SELECT current_database(), datctype FROM pg_database "
                    "WHERE datname = current_database()").one()
                raise SearchIndexUnusable(
                    f"数据库 {database} 的 LC_CTYPE 为 {ctype}，pg_trgm 无法为中文建立三元组索引，中文搜索无法工作。"
                    f"请用 UTF-8 的 LC_CTYPE 重建数据库，例如：\n"
                    f"  CREATE DATABASE {database} TEMPLATE template0 ENCODING 'UTF8' "
                    f"LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8';\n"
                    f"然后运行 xietong init-db（或用 pg_dump / pg_restore 迁移数据）。\n"
                    f"The database {database} has LC_CTYPE {ctype}: pg_trgm extracts no trigrams from Chinese "
                    f"text, so search cannot work. Recreate the database with a UTF-8 LC_CTYPE, e.g. "
                    f"CREATE DATABASE {database} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' "
                    f"LC_CTYPE 'C.UTF-8'; then run xietong init-db (or move the data with pg_dump / pg_restore).")
        elif engine.dialect.name == "sqlite":
            found = set(conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'nodes'").scalars())
            missing = [t for t in SQLITE_TRIGGERS if t not in found]
            if missing:
                raise SearchIndexUnusable(
                    f"搜索索引的触发器缺失（{', '.join(missing)}），search_fts 不再与 nodes 同步。"
                    f"请重新创建触发器并重建索引（见 migrations/versions/0004_search_indexes.py）。\n"
                    f"The search index triggers are missing ({', '.join(missing)}): search_fts no longer "
                    f"follows nodes. A migration that rebuilt nodes must recreate them and rebuild the index "
                    f"(see migrations/versions/0004_search_indexes.py).")
