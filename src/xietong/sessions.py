"""Login sessions: a signed cookie, a row per login, and three ways for a session to end.

The session is Pyramid's :class:`~pyramid.session.SignedCookieSessionFactory`: a JSON
payload (so no datetimes in it) HMAC-signed with ``xietong.secret``, in a cookie that is
``HttpOnly``, ``SameSite=Lax``, ``Secure`` when ``xietong.cookie_secure`` is true
(production.ini) and without ``Max-Age`` (it ends with the browser).  A logged-in session
holds::

    {"user_id": 7, "sid": "<login_sessions.id>:<random secret>", "login_at": 1764230400}

and ends, whichever comes first,

1. **idle**: no request for ``xietong.session_idle_seconds`` (default 2 h).  The cookie
   session itself enforces this: it stores its last-access time and drops its contents
   when that is too old; the time is refreshed at most every 5 minutes (``reissue_time``),
   so the idle limit is exact to within 5 minutes.  Nothing is written to the database.
2. **absolute**: ``xietong.session_absolute_seconds`` (default 12 h) after ``login_at``,
   however active the user is.  Checked on every request against :func:`clock`.
3. **revoked**: logging out marks this login's row (``login_sessions``) revoked, and so
   does logging in again in the same browser; "log out everywhere" (the account page), a password change and — once the service calls
   :func:`revoke_all` — an administrator's password reset mark all of a user's rows.  A
   copy of the cookie taken before then no longer authenticates anybody.

Writes happen only on login, logout and the other POSTs above; a GET reads the login's
row by primary key (one query, the user joined, on the identity map after the first
time), never stamps a "last seen" (DESIGN.md: no writes on GET).  The database keeps
the SHA-256 of the secret only, so a read of the table does not yield live cookies.

Login rotates the session (:func:`start`): the old contents and CSRF token are dropped,
so a session fixed by an attacker before login is worth nothing after it.
"""
import hashlib
import hmac
import secrets
import time
from datetime import datetime, timezone
from functools import lru_cache

from pyramid.session import SignedCookieSessionFactory
from sqlalchemy import Integer, bindparam, or_, select
from sqlalchemy.orm import joinedload, lazyload

from .models import utcnow
from .models.org import LoginSession, User

COOKIE_NAME = "xietong"
IDLE_SECONDS = 2 * 60 * 60
ABSOLUTE_SECONDS = 12 * 60 * 60
REISSUE_SECONDS = 300


def clock() -> int:
    """Now, in whole seconds since the epoch (tests replace this to move time)."""
    return int(time.time())


def _seconds(settings, key: str, default: int) -> int:
    raw = settings.get(key, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if value <= 0:
        raise SystemExit(f"{key} must be a positive number of seconds, not {raw!r}")
    return value


def idle_seconds(settings) -> int:
    return _seconds(settings, "xietong.session_idle_seconds", IDLE_SECONDS)


def absolute_seconds(settings) -> int:
    return _seconds(settings, "xietong.session_absolute_seconds", ABSOLUTE_SECONDS)


def session_factory(settings: dict, secret: str):
    """The cookie session: signed, HttpOnly, SameSite=Lax, Secure behind TLS, idle timeout."""
    secure = str(settings.get("xietong.cookie_secure", "false")).lower() == "true"
    return SignedCookieSessionFactory(
        secret, cookie_name=COOKIE_NAME, httponly=True, samesite="Lax", secure=secure,
        timeout=idle_seconds(settings), reissue_time=REISSUE_SECONDS,
    )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _printable(value: str | None, limit: int) -> str | None:
    """Header text fit to store and show: no control characters (PostgreSQL refuses NUL)."""
    text = "".join(ch for ch in (value or "") if ch.isprintable())[:limit]
    return text or None


def _at(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, timezone.utc)


def start(request, user_id: int) -> LoginSession:
    """Log ``user_id`` in on this request: rotate the cookie session and record the login.

    A login this browser still held (logging in again, or as someone else) is revoked:
    rotation must not leave the old cookie alive.  The user's dead rows (revoked or past
    their absolute end) are deleted here, so the table holds about one row per live login.
    """
    dbsession = request.dbsession
    now = clock()
    replaced = current(request)
    if replaced is not None:
        replaced.revoked_at = utcnow()
    for dead in dbsession.scalars(select(LoginSession).where(
            LoginSession.user_id == user_id,
            or_(LoginSession.revoked_at.is_not(None), LoginSession.expires_at <= _at(now)))):
        dbsession.delete(dead)
    secret = secrets.token_urlsafe(32)
    row = LoginSession(user_id=user_id, secret_hash=_digest(secret), created_at=_at(now),
                       expires_at=_at(now + absolute_seconds(request.registry.settings)),
                       address=_printable(request.client_addr, 64), user_agent=_printable(request.user_agent, 200))
    dbsession.add(row)
    dbsession.flush()
    session = request.session
    session.invalidate()
    session["user_id"] = user_id
    session["sid"] = f"{row.id}:{secret}"
    session["login_at"] = now
    session.new_csrf_token()
    return row


@lru_cache(maxsize=1)
def _login_statement():
    # the login with its user, their unit and their roles in one statement built once:
    # every page reads them (``get`` took a second statement for the roles)
    return select(LoginSession).where(LoginSession.id == bindparam("row_id", type_=Integer)).options(
        joinedload(LoginSession.user).joinedload(User.role_rows))


def current(request) -> LoginSession | None:
    """This request's live login (its row, with ``.user``), or None.

    None when the cookie names no login, the absolute timeout has passed (by the
    current setting, or by the one in force at login: ``expires_at``), the row is gone
    or revoked, or the cookie's secret or user do not match the row.  (The idle
    timeout has already emptied the cookie session if it applied.)  Whether the user is
    active is the caller's question.
    """
    session = request.session
    user_id, sid, login_at = session.get("user_id"), session.get("sid"), session.get("login_at")
    if not isinstance(user_id, int) or not isinstance(sid, str) or not isinstance(login_at, int):
        return None
    now = clock()
    if now - login_at >= absolute_seconds(request.registry.settings):
        return None
    row_id, _, secret = sid.partition(":")
    if not (row_id.isascii() and row_id.isdigit()) or not secret:
        return None
    row = request.dbsession.execute(_login_statement(), {"row_id": int(row_id)}).unique().scalar_one_or_none()
    if (row is None or row.user_id != user_id or row.revoked_at is not None
            or row.expires_at <= _at(now) or not hmac.compare_digest(row.secret_hash, _digest(secret))):
        return None
    return row


def end(request) -> None:
    """Log out this request's session: revoke its row (if live) and empty the cookie session."""
    row = current(request)
    if row is not None:
        row.revoked_at = utcnow()
        request.dbsession.flush()
    request.session.invalidate()


def revoke_all(dbsession, user_id: int) -> int:
    """Revoke every live login of ``user_id``; return how many."""
    rows = dbsession.scalars(select(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))).all()
    now = utcnow()
    for row in rows:
        row.revoked_at = now
    dbsession.flush()
    return len(rows)


def live_sessions(dbsession, user_id: int) -> list[LoginSession]:
    """The user's logins that are neither revoked nor past their absolute end, newest first.

    (One may still have ended by idling: that is known only to its cookie.)
    """
    # without the user (one, and the caller has it): the joined user, unit and roles of every
    # row were most of the account page (29 logins: 8 ms)
    return list(dbsession.scalars(
        select(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None),
                                   LoginSession.expires_at > _at(clock()))
        .order_by(LoginSession.created_at.desc(), LoginSession.id.desc()).options(lazyload(LoginSession.user))))

