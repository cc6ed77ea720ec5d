"""Password hashing and the password policy.

Hashing: argon2id through ``argon2-cffi`` with RFC 9106's low-memory profile
(time_cost=3, memory_cost=64 MiB, parallelism=4, 16-byte salt, 32-byte hash);
hashes carry their parameters, so raising them later re-hashes on next login
(:func:`needs_rehash`).  The test suite hashes with argon2-cffi's ``CHEAPEST`` profile
(:func:`use_cheapest_profile`, called by :mod:`xietong.testing` only): the same algorithm
and code path, without 0.2 s of CPU per login — the suite logs in several hundred times.
Nothing reads a setting or the environment for this; production cannot be switched to it.

Policy: at least 10 characters, at most 128, not only digits, and not the
username.  Messages are Chinese first; the English follows for the catalogue.
"""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY

from .i18n import _

MIN_LENGTH = 10
MAX_LENGTH = 128

_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def policy_problem(password: str, username: str = ""):
    """Why ``password`` is not acceptable (a translation string), or None."""
    if len(password) < MIN_LENGTH:
        return _("Password must have at least ${n} characters", mapping={"n": MIN_LENGTH})
    if len(password) > MAX_LENGTH:
        return _("Password must have at most ${n} characters", mapping={"n": MAX_LENGTH})
    if password.isdigit():
        return _("Password must not be digits only")
    if username and password.lower() == username.lower():
        return _("Password must not be the username")
    return None


# A hash to verify against when the username is unknown, so that a login for a
# missing user costs the same time as one for an existing user.
DUMMY_HASH = _hasher.hash("not-a-real-password")


def use_cheapest_profile() -> None:
    """Hash and verify with argon2's cheapest parameters in this process (tests only)."""
    global _hasher, DUMMY_HASH
    _hasher = PasswordHasher.from_parameters(CHEAPEST)
    DUMMY_HASH = _hasher.hash("not-a-real-password")
