"""The content tree, in the Kotti manner.

Every piece of content is a row of ``nodes`` (its place in the tree, its type,
title, owner and owning unit); each content type adds its own table joined on
``nodes.id`` (joined-table inheritance, discriminator ``type``).  ``path`` holds
the node's full path (``/units/341000-xinxiban/filings/2018-007/``) so that a URL
resolves with one query, as Kotti's traverser does.

Workflowed documents keep their ``state`` here and a NOT NULL ``version`` that is
SQLAlchemy's ``version_id_col``: an UPDATE that finds another version raises
``StaleDataError`` instead of silently overwriting someone else's change.
Nothing is hard-deleted: ``trashed_at`` marks a node as in the trash.
"""
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, UTCDateTime, utcnow
from .org import Unit, User


class Node(Base):
    __tablename__ = "nodes"
    __table_args__ = (
        UniqueConstraint("parent_id", "name"),
        # the permission predicates and newest-first listings (migration 0008, docs/PERFORMANCE.md)
        Index("ix_nodes_permission", "workflow_id", "state", "unit_id", "owner_id", "trashed_at"),
        # newest first, covering the permission predicate's columns: a listing's page and
        # capped count read this index alone (migration 0009)
        Index("ix_nodes_recent", "modified_at", "id", "workflow_id", "state", "unit_id", "owner_id", "trashed_at",
              "type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    workflow_id: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str | None] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    modified_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    due_at = mapped_column(UTCDateTime, index=True)
    trashed_at = mapped_column(UTCDateTime)
    # Title and texts in one column for the Chinese substring search (kept by the services)
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="", nullable=False)

    parent: Mapped["Node | None"] = relationship(remote_side=[id])
    owner: Mapped[User | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    local_role_rows: Mapped[list["LocalRole"]] = relationship(
        back_populates="node", cascade="all, delete-orphan", lazy="selectin")

    __mapper_args__ = {
        "polymorphic_on": "type",
        "polymorphic_identity": "node",
        "version_id_col": version,
    }

    def local_roles(self, user: User) -> frozenset[str]:
        """Roles granted on this node to ``user`` or to ``user``'s unit.

        ``system`` is never a person's, whatever a row says: only the sweeper acts as it.
        """
        return frozenset(r.role for r in self.local_role_rows
                         if r.role != "system"
                         and (r.user_id == user.id or (r.unit_id is not None and r.unit_id == user.unit_id)))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path}>"


class LocalRole(Base):
    """A role held on one node by a unit (a key task's lead unit) or by one user."""

    __tablename__ = "local_roles"
    __table_args__ = (
        CheckConstraint("(unit_id IS NULL) != (user_id IS NULL)", name="one_principal"),
        UniqueConstraint("node_id", "unit_id", "user_id", "role"),
        # the permission predicate's grants of a principal in the roles in play, read from
        # the index alone (migration 0012).  The user's is partial: most rows are a unit's
        # (user_id NULL), and SQLite's statistics count those NULLs as one value, so a full
        # index looked useless for "user_id = ?" and the subquery scanned the table (0010)
        Index("ix_local_roles_user_role", "user_id", "role", "node_id", sqlite_where=text("user_id IS NOT NULL"),
              postgresql_where=text("user_id IS NOT NULL")),
        Index("ix_local_roles_unit_role", "unit_id", "role", "node_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(60))

    node: Mapped[Node] = relationship(back_populates="local_role_rows")
