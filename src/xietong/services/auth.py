"""Logging in, with throttling of repeated failures.

A login is refused without checking the password when, within the last
``WINDOW`` (15 minutes),

* the username had ``MAX_PER_USERNAME`` (5) failures since its last success, or
* the address had ``MAX_PER_ADDRESS`` (20) failures.

Refused attempts are not recorded, so the block ends ``WINDOW`` after the last
counted failure: an attacker can slow the real user down, never lock them out for
good.  Unknown usernames cost one hash verification too, so timing does not reveal
which accounts exist.
"""
from dataclasses import dataclass
from datetime import timedelta
import re

from sqlalchemy import func, select

from ..i18n import _
from ..models import LoginAttempt, User, utcnow
from .. import passwords
from ..passwords import hash_password, needs_rehash, verify_password

WINDOW = timedelta(minutes=15)
MAX_PER_USERNAME = 5
MAX_PER_ADDRESS = 20
#: what no username holds and no database column takes: NUL (PostgreSQL refuses it) and the other
#: C0 controls but tab/LF/CR, and lone surrogates (not encodable); replaced before the lookup
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    message: object = None  # a translation string when refused
    throttled: bool = False


def _failures_since(dbsession, column, value, since) -> int:
    return dbsession.scalar(
        select(func.count(LoginAttempt.id)).where(
            column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since
        )
    )


def is_throttled(dbsession, username: str, address: str) -> bool:
    window_start = utcnow() - WINDOW
    last_success = dbsession.scalar(
        select(func.max(LoginAttempt.created_at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )
    since = max(window_start, last_success) if last_success else window_start
    return (
        _failures_since(dbsession, LoginAttempt.username, username, since) >= MAX_PER_USERNAME
        or _failures_since(dbsession, LoginAttempt.address, address, window_start) >= MAX_PER_ADDRESS
    )


def authenticate(dbsession, username: str, password: str, address: str) -> LoginResult:
    username = UNSTORABLE.sub("\ufffd", (username or "").strip()[:100])
    address = (address or "unknown")[:64]
    if is_throttled(dbsession, username, address):
        return LoginResult(None, _("Too many failed logins. Please try again in ${minutes} minutes.",
                                   mapping={"minutes": int(WINDOW.total_seconds() // 60)}),
                           throttled=True)
    user = dbsession.execute(select(User).where(User.username == username)).scalar_one_or_none()
    # as bytes: a lone surrogate then fails to match instead of failing to encode
    valid = verify_password(user.password_hash if user else passwords.DUMMY_HASH,
                            (password or "").encode("utf-8", "surrogatepass"))
    ok = bool(user and valid and user.active)
    dbsession.add(LoginAttempt(username=username, address=address, succeeded=ok))
    if not ok:
        dbsession.flush()
        return LoginResult(None, _("Wrong username or password, or the account is disabled."))
    user.last_login_at = utcnow()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    dbsession.flush()
    return LoginResult(user)
