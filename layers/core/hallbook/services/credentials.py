"""Passwords and one-time codes: how a password is hashed (argon2id) and what one must be, and how a
code is drawn and kept (its hash only). Every service that checks a password or sends a code uses these."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from ..domain.errors import ValidationFailed
from ..i18n import N_
from ..lazy import lazy

if TYPE_CHECKING:
    from argon2 import PasswordHasher

argon2 = lazy("argon2")  # loaded by the first password hashed or checked, not by the catalog routes
argon2_errors = lazy("argon2.exceptions")
MIN_PASSWORD = 8
RESEND_INTERVAL = timedelta(seconds=60)  # between two codes sent to one phone


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    import os

    password_hasher: type[PasswordHasher] = argon2.PasswordHasher
    if os.environ.get("HALLBOOK_FAST_HASH") == "1":  # tests and the benchmark only
        return password_hasher(time_cost=1, memory_cost=1024, parallelism=1)
    return password_hasher()  # argon2id, RFC 9106 low-memory profile


def code_hash(account_id: str, code: str) -> str:
    return hashlib.sha256(f"{account_id}:{code}".encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD or len(password) > 128:
        raise ValidationFailed(N_("password must be {least} to 128 characters.", least=MIN_PASSWORD), field="password")
    if password.isdigit() or password.isalpha():
        raise ValidationFailed("password must mix letters and digits", field="password")
    return password
