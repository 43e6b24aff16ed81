"""TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), the second factor of staff, operator and
administrator logins once their login's failure budget is spent. Any authenticator app reads the
`otpauth://` URI. Fifteen lines of the standard library rather than a dependency in the layer; the
RFC's test vectors check it (tests/unit/test_totp.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import quote

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # a code of the step before or after is accepted too (clocks and typing)


def new_secret() -> str:
    """160 random bits in base32, as RFC 4226 recommends."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def code_at(secret: str, step: int, digits: int = DIGITS) -> str:
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = (int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 10**digits
    return f"{number:0{digits}d}"


def matching_step(secret: str, code: str, epoch_seconds: int) -> int | None:
    """The time step whose code `code` is (now, or one step either side), or None."""
    code = (code or "").strip()
    if len(code) != DIGITS or not code.isdigit():
        return None
    now_step = epoch_seconds // STEP_SECONDS
    found = None
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at(secret, step), code):
            found = step
    return found


def provisioning_uri(login: str, secret: str, issuer: str = "hallbook") -> str:
    return (
        f"otpauth://totp/{quote(issuer)}:{quote(login)}?secret={secret}&issuer={quote(issuer)}"
        f"&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
    )
