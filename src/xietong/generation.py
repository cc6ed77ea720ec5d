"""The site's generation: a token that changes with every committed write, and the cache it keys.

Some figures cost far more to compute than to show — the navigation's worklist badge (a
COUNT under the permission predicate, on every page) and the dashboards (dozens of
aggregates over 100k documents) — and between two writes they cannot change.  Plone keys
such caches on a counter that every catalog change moves; this is the same idea, made
transactional.

The algorithm:

1. One row, ``site_generation``, holds a random 63-bit token.
2. A session that writes replaces the token inside the same transaction, as the last
   statement before it commits (:func:`_bump`).  The new token therefore becomes visible
   exactly when the writes do; a transaction that rolls back leaves the old one.  Writes
   to :data:`NOT_CACHED` tables (authentication bookkeeping, the audit log: no cached
   value reads them) do not count, so logging in empties no cache.
3. A reader reads the token (:func:`current`, once per transaction) *before* it computes
   anything it caches, and caches under ``(token, key)``.  Under PostgreSQL's READ COMMITTED
   a value may be computed from data newer than its token; only requests already under way
   still ask for that token, and they get newer data than they expected, never older.
   (SQLite reads one snapshot per transaction: the token and the data agree exactly.)
4. A session that has written in its open transaction neither reads nor fills the cache
   (:func:`current` answers ``None``): its figures include writes that may still roll back.

Why random and not a counter: a rolled-back transaction (every test's) brings an old token
back, and a counter would then hand out the next number again, with other data behind it;
a random token is never reused.  Each application holds its own :class:`Cache`
(``registry``), so two databases never share values.  A restored backup brings back an old
token too, and the values a worker computed under it from later data: restart the
application after a restore (docs/DEPLOY.md).

The cost: one primary-key read per request that uses the cache, and one row every writing
transaction updates — on PostgreSQL that row's lock is held only from the bump to the
commit, which is the commit itself.
"""
from collections import OrderedDict
import secrets
import threading

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from .models import SiteGeneration

#: tables whose writes leave the token alone: nothing cached reads them
NOT_CACHED = frozenset({"login_sessions", "login_attempts", "api_tokens", "audit_log", "site_generation"})
#: columns of other tables that nothing cached reads: a login stamps them (services/auth.py)
NOT_CACHED_COLUMNS = {"users": frozenset({"last_login_at", "password_hash"})}

_WROTE = "xietong.generation.wrote"
_TOKEN = "xietong.generation.token"
CACHE_KEY = "xietong.cache"


def new_token() -> int:
    return secrets.randbits(63)


def current(dbsession) -> int | None:
    """This transaction's token, or None once the transaction has written (or there is no row).

    Reading the token autoflushes pending changes first, so they count as writes.
    """
    if _TOKEN not in dbsession.info:
        dbsession.info[_TOKEN] = dbsession.scalar(select(SiteGeneration.token).where(SiteGeneration.id == 1))
    return None if dbsession.info.get(_WROTE) else dbsession.info[_TOKEN]


class Cache:
    """A bounded, thread-safe LRU of computed values under ``(token, key)``, for one application.

    Values must be plain data (no ORM objects: they outlive their session) and are shared
    by every request, so nobody may change one after it is stored.  Two bounds: ``size``
    entries, and ``text_chars`` characters of rendered text (a fragment of the finance
    dashboard is about a million characters; a count is one entry and no text).
    """

    def __init__(self, size: int = 2048, text_chars: int = 16_000_000):
        self.size = size
        self.text_chars = text_chars
        self._values: OrderedDict = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, dbsession, key, compute):
        token = current(dbsession)
        if token is None:
            return compute()
        entry = (token, key)
        with self._lock:
            if entry in self._values:
                self._values.move_to_end(entry)
                return self._values[entry]
        value = compute()
        if current(dbsession) != token:
            return value  # computing flushed writes of this transaction: not for other requests
        chars = len(value) if isinstance(value, str) else 0
        if chars > self.text_chars:
            return value
        with self._lock:
            if entry not in self._values:
                self._values[entry] = value
                self._chars += chars
            while len(self._values) > self.size or self._chars > self.text_chars:
                _old, evicted = self._values.popitem(last=False)
                self._chars -= len(evicted) if isinstance(evicted, str) else 0
        return value

    def __len__(self) -> int:
        return len(self._values)


def cached(dbsession, key, compute):
    """``compute()``, or its value from the session's application cache (``session.info``).

    A session without a cache (the CLI, a script) simply computes.
    """
    cache = dbsession.info.get(CACHE_KEY)
    return compute() if cache is None else cache.get(dbsession, key, compute)


# -- noticing writes and moving the token -----------------------------------------------------

def _counts(table_name: str | None) -> bool:
    return table_name not in NOT_CACHED


def _table(instance) -> str | None:
    return getattr(instance, "__tablename__", None)


def _update_counts(instance) -> bool:
    """Whether flushing this changed (not new, not deleted) instance moves the token."""
    table = _table(instance)
    if not _counts(table):
        return False
    ignored = NOT_CACHED_COLUMNS.get(table)
    if ignored is None:
        return True
    return any(attr.history.has_changes() for attr in inspect(instance).attrs if attr.key not in ignored)


@event.listens_for(Session, "before_flush")
def _notice_flush(session, _context, _instances) -> None:
    if any(_counts(_table(instance)) for instance in (*session.new, *session.deleted)) \
            or any(_update_counts(instance) for instance in session.dirty):
        session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _notice_statement(state) -> None:
    """Statements run through the session: anything but a SELECT counts as a write (raw SQL
    included: we cannot tell what it touches), unless it is DML on a :data:`NOT_CACHED` table."""
    if state.is_select:
        return
    table = getattr(state.statement, "table", None)
    if table is None or _counts(getattr(table, "name", None)):
        state.session.info[_WROTE] = True


@event.listens_for(Session, "before_commit")
def _bump(session) -> None:
    session.flush()  # commit flushes after this event: flush now, so that its writes count
    if session.info.get(_WROTE):
        session.connection().execute(
            update(SiteGeneration).where(SiteGeneration.id == 1).values(token=new_token()))


@event.listens_for(Session, "after_transaction_end")
def _forget(session, transaction) -> None:
    """The session's transaction ended (committed, rolled back or closed): the next one reads afresh."""
    if transaction.parent is None:
        session.info.pop(_WROTE, None)
        session.info.pop(_TOKEN, None)
