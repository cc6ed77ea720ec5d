"""Bearer tokens for the JSON API.

A token is 32 random bytes (URL-safe base64) handed out once by
``POST /api/auth/token``; the database keeps only its SHA-256, an expiry
(8 hours) and a revocation time.  Reading a token never writes (no last-used
stamp), so GET requests stay read-only transactions.
"""
from datetime import timedelta
import hashlib
import secrets

from sqlalchemy import select

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


def identity_from_bearer(request):
    from .security import Identity  # security imports this module

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    row = request.dbsession.execute(
        select(ApiToken).where(ApiToken.token_hash == _digest(token.strip()))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    if not row.user.active:
        return None
    return Identity(user=row.user, via="token", token_id=row.id)
