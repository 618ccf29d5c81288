"""Password hashing with Argon2id (argon2-cffi's defaults). Which passwords are accepted is
:mod:`remission.store.password_policy`'s job, checked before a password is hashed."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_hash() -> str:
    """A hash of a random password, made once per process, to verify against when there is no
    account: a sign-in with an unknown username then costs what one with a real username does."""
    return _hasher.hash(secrets.token_urlsafe(32))
