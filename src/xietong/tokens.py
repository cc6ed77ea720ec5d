"""Bearer tokens for the JSON API.

A token is 32 random bytes (URL-safe base64) handed out once by
``POST /api/auth/token``; the database keeps only its SHA-256, an expiry
(8 hours) and a revocation time.  Reading a token never writes (no last-used
stamp), so GET requests stay read-only transactions.

A token is live until it expires or is revoked: by its owner on the account page
(one token, or all of them with "log out everywhere") or by a password change.
Revoked and expired tokens answer 401 like unknown ones.
"""
from datetime import timedelta
from functools import lru_cache
import hashlib
import secrets

from sqlalchemy import String, bindparam, select
from sqlalchemy.orm import joinedload

from .models import ApiToken, User, utcnow

TOKEN_LIFETIME = timedelta(hours=8)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(dbsession, user: User) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=_digest(token), expires_at=utcnow() + TOKEN_LIFETIME)
    dbsession.add(row)
    dbsession.flush()
    return token, row


@lru_cache(maxsize=1)
def _token_statement():
    # the user, their unit and their roles in the same statement (every API request reads
    # them), built once: a new statement object costs SQLAlchemy a walk for its cache key
    return select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash", type_=String)).options(
        joinedload(ApiToken.user).joinedload(User.role_rows))


def identity_from_bearer(request):
    from .security import Identity  # security imports this module

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    row = request.dbsession.execute(_token_statement(), {"token_hash": _digest(token.strip())}
                                    ).unique().scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    if not row.user.active:
        return None
    return Identity(user=row.user, via="token", token_id=row.id)


def status(row: ApiToken, now=None) -> str:
    """``"revoked"``, ``"expired"`` or ``"active"``."""
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at <= (now or utcnow()) else "active"


def tokens_of(dbsession, user_id: int, limit: int = 50) -> list[ApiToken]:
    """The user's most recent tokens, newest first (live or not)."""
    return list(dbsession.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()).limit(limit)))


def revoke(dbsession, user_id: int, token_id: int) -> ApiToken | None:
    """Revoke the token ``token_id`` if it is ``user_id``'s; None if there is no such token of theirs.

    Revoking a token twice keeps the first revocation time.
    """
    row = dbsession.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        dbsession.flush()
    return row


def revoke_all(dbsession, user_id: int) -> int:
    """Revoke every live token of ``user_id``; return how many."""
    now = utcnow()
    rows = dbsession.scalars(select(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)).all()
    for row in rows:
        row.revoked_at = now
    dbsession.flush()
    return len(rows)
