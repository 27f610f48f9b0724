"""Password hashes for the web application's local accounts: argon2id, with argon2-cffi's
default parameters (RFC 9106's second recommended option: 64 MiB, 3 passes, 4 lanes; why in
docs/architecture.md). The only importer of argon2-cffi."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()


@cache
def _decoy() -> str:
    # A hash to check against when there is none (an unknown name, an account without a
    # password), so a wrong name takes as long to refuse as a wrong password.
    return _HASHER.hash("archiver: no such account")


def hash_password(password: str) -> str:
    """The argon2id hash of `password`, as a PHC string (salt and parameters included)."""
    return _HASHER.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether `password` is the one `stored` was made from; always as slow as a real check
    (None, or a hash that is not argon2's, is checked against a decoy and fails)."""
    try:
        return _HASHER.verify(stored or _decoy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether `stored` was made with other parameters than today's (hash it again at the
    next sign-in)."""
    return _HASHER.check_needs_rehash(stored)
