"""Keyed hashes under one secret that never rotates (template `HashKeySecret`): the pseudonyms that
stand for an ID number or a phone wherever a key is logged (an SMS's message id, a log line), and the
seal on every list cursor the API gives out (hallbook/store/base.py `page`).

Why keyed: an ID number has ~10^9 plausible values once its region and birth date are guessed, so a
plain SHA-256 of it is reversed in minutes; an HMAC under a secret is not. Why not the session-token
key: that one rotates every 30 days, and a pseudonym must stay the same for as long as the outbox
dedupes on it (and a cursor for as long as a page is open).

The secret is read once per process, on first use (Secrets Manager `HASH_KEY_SECRET_ARN`); unit tests
without AWS use JWT_LOCAL_KEY's bytes under another label."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import unicodedata

from .config import settings

_lock = threading.Lock()
_key: bytes | None = None

# an ID number (17 digits and a check character) or a mainland mobile number (11 digits starting 1),
# written in any digits NFKC folds (full-width included), with or without +86 / 0086
_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|(?:\+?86|0086)?1\d{10})(?![0-9A-Za-z])")


def _secret() -> bytes:
    global _key
    with _lock:
        if _key is None:
            local = settings().jwt_local_key
            if local:
                _key = hmac.new(local.encode(), b"hallbook keyed hashes", hashlib.sha256).digest()
            else:
                from .aws import secret

                _key = (secret(settings().hash_key_secret_arn) or "").encode()
        return _key


def forget() -> None:
    """The next use reads the secret again (tests that switch environments)."""
    global _key
    with _lock:
        _key = None


def digest(purpose: str, value: str | bytes) -> bytes:
    """HMAC-SHA256 of `value` under the key, for one `purpose` (a pseudonym never equals a seal)."""
    data = value.encode() if isinstance(value, str) else value
    return hmac.new(_secret(), purpose.encode() + b"\n" + data, hashlib.sha256).digest()


def pseudonym(number: str) -> str:
    """What stands for an ID number or a phone in a key that may be logged: 16 url-safe characters,
    the same for the same canonical number (NFKC-folded, upper-case X, without +86)."""
    canonical = unicodedata.normalize("NFKC", number).upper()
    if len(canonical) > 11 and canonical.startswith(("+86", "0086", "86")) and canonical[-11:].startswith("1"):
        canonical = canonical[-11:]
    return "p" + base64.urlsafe_b64encode(digest("pseudonym", canonical)[:12]).decode().rstrip("=")


def without_numbers(text: str) -> str:
    """`text` with every ID number or phone in it replaced by its pseudonym (a message id, a key)."""
    folded = unicodedata.normalize("NFKC", text)
    if not any(c.isdigit() for c in folded):
        return text
    return _NUMBER.sub(lambda m: pseudonym(m.group(0)), folded)
