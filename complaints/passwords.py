"""Password hashing (Argon2id) and the password rule for staff accounts."""

from __future__ import annotations

import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import InvalidInput

MIN_LENGTH = 10
_hasher = PasswordHasher()
_CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"), re.compile(r"[^a-zA-Z0-9]"))


def check_strength(password: str) -> None:
    """等级保护 asks for complex passwords: at least 10 characters from at least three character classes."""
    classes = sum(1 for pattern in _CLASSES if pattern.search(password))
    if len(password) < MIN_LENGTH or classes < 3 or len(password) > 128:
        raise InvalidInput(
            "密码至少10位，且须包含大写字母、小写字母、数字、符号中的至少三类",
            code="weak_password",
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_verification_time(password: str) -> None:
    """Spend the time a real verification takes, so an unknown username cannot be told apart by timing."""
    verify_password(_dummy_hash(), password)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password-0")
