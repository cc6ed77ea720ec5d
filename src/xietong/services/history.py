"""The append-only history of documents, chained by hashes (tamper evidence).

Each row's ``hash`` is the SHA-256 of its canonical form: a JSON object of the row's
fields (document, workflow id and version, transition, from, to, actor, actor's unit
and roles, comment, UTC time to the microsecond, and ``prev_hash``) with sorted keys,
no whitespace and UTF-8 text.  ``prev_hash`` is the hash of the document's previous
row (None for its first row, written at creation).  Changing, inserting or deleting a
row breaks the chain at that point, which :func:`verify_history` reports.

Rows are only ever inserted, and only by :func:`append` — called inside the
transaction that changes the document, after the document row is locked, so two
rows can never claim the same predecessor.
"""
from dataclasses import dataclass
from functools import lru_cache
import hashlib
import json

from sqlalchemy import Integer, bindparam, select

from ..models import HistoryEntry, utcnow


def canonical(entry: HistoryEntry) -> bytes:
    fields = {
        "node_id": entry.node_id,
        "workflow_id": entry.workflow_id,
        "workflow_version": entry.workflow_version,
        "transition": entry.transition,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "actor_id": entry.actor_id,
        "actor_unit_id": entry.actor_unit_id,
        "actor_roles": entry.actor_roles,
        "comment": entry.comment,
        "created_at": entry.created_at.isoformat(timespec="microseconds"),
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(entry: HistoryEntry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


@lru_cache(maxsize=1)
def _last_hash_statement():
    # only the column, and one statement object: the chain needs nothing else of the row
    return (select(HistoryEntry.hash).where(HistoryEntry.node_id == bindparam("node_id", type_=Integer))
            .order_by(HistoryEntry.id.desc()).limit(1))


def last_hash(dbsession, node_id: int) -> str | None:
    """The hash of the document's newest row (None before its first)."""
    return dbsession.scalar(_last_hash_statement(), {"node_id": node_id})


def append(dbsession, *, node_id: int, workflow_id: str, workflow_version: int, transition: str | None,
           from_state: str | None, to_state: str, actor_id: int | None, actor_unit_id: int | None,
           actor_roles, comment: str = "") -> HistoryEntry:
    """Append one row to the document's chain (the caller holds the document's lock)."""
    previous = last_hash(dbsession, node_id)
    entry = HistoryEntry(
        node_id=node_id, workflow_id=workflow_id, workflow_version=workflow_version, transition=transition,
        from_state=from_state, to_state=to_state, actor_id=actor_id, actor_unit_id=actor_unit_id,
        actor_roles=",".join(sorted(actor_roles)), comment=comment or "",
        created_at=utcnow(), prev_hash=previous)
    entry.hash = entry_hash(entry)
    dbsession.add(entry)
    dbsession.flush()
    return entry


def entries(dbsession, node_id: int) -> list[HistoryEntry]:
    return list(dbsession.scalars(
        select(HistoryEntry).where(HistoryEntry.node_id == node_id).order_by(HistoryEntry.id)))


@dataclass(frozen=True)
class BrokenLink:
    node_id: int
    entry_id: int
    reason: str

    def __str__(self) -> str:
        return f"document {self.node_id}, history row {self.entry_id}: {self.reason}"


def verify_history(dbsession, batch: int = 1000) -> tuple[int, BrokenLink | None]:
    """Walk every document's chain in order; (rows checked, the first broken link or None)."""
    checked, previous_hash, current_node = 0, None, None
    rows = dbsession.execute(
        select(HistoryEntry).order_by(HistoryEntry.node_id, HistoryEntry.id).execution_options(yield_per=batch)
    ).scalars()
    for entry in rows:
        if entry.node_id != current_node:
            current_node, previous_hash = entry.node_id, None
        if entry.prev_hash != previous_hash:
            return checked, BrokenLink(entry.node_id, entry.id, "prev_hash does not match the previous row "
                                                                "(a row was removed, inserted or altered)")
        if entry_hash(entry) != entry.hash:
            return checked, BrokenLink(entry.node_id, entry.id, "the row's content does not match its hash "
                                                                "(the row was altered)")
        previous_hash = entry.hash
        checked += 1
    return checked, None
