"""Organisational units and the people in them.

A unit is a node of the city's organisation (the city itself, its departments,
district and county governments, management committees, the leadership group).
Each user belongs to exactly one unit and may hold a unit role there (``staff`` or
``head``) plus global roles that hold everywhere (``admin``, ``reviewer`` ...).
Global roles live in their own table so that listings can filter by role in SQL.
"""
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, UTCDateTime, utcnow

UNIT_KINDS = ("city", "district", "county", "department", "committee", "group")

#: Roles a user holds everywhere, granted by an administrator.
GLOBAL_ROLES = ("admin", "reviewer", "finance", "auditor", "leader")

#: Roles a user holds on the content of their own unit.
UNIT_ROLES = ("staff", "head")


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    division_code: Mapped[str | None] = mapped_column(String(6))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped["Unit | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Unit"]] = relationship(
        back_populates="parent", order_by="Unit.sort_order"
    )

    @property
    def url_name(self) -> str:
        """The unit's name in URLs: ``341000-xinxiban``."""
        return f"{self.division_code}-{self.code}" if self.division_code else self.code

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    unit_role: Mapped[str | None] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_login_at = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=UserRole.role
    )

    @property
    def roles(self) -> frozenset[str]:
        """The user's global roles."""
        return frozenset(r.role for r in self.role_rows)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(Base):
    """A bearer token for ``/api``.  Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    revoked_at = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginSession(Base):
    """The server-side half of one login, so that logging out ends it for good.

    The signed session cookie carries ``"<id>:<secret>"``; only the secret's SHA-256 is
    stored.  Rows are written on login, logout, "log out everywhere" and a password
    change (all POSTs); a request only reads its row, by primary key.  A row is dead
    once ``revoked_at`` is set or ``expires_at`` (the absolute timeout) has passed;
    dead rows of a user are deleted at that user's next login.  See
    :mod:`xietong.sessions`.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    revoked_at = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship(lazy="joined")
