"""Session tokens: HS256 JWTs. Only HS256 is accepted (so `alg: none` and algorithm swaps fail), with
issuer, audience and expiry required; every time check is made here against the injected clock
(PyJWT's own, on the wall clock, stay off).

Keys: the template's Secrets Manager secret, rotated on a schedule (functions/key_rotation). Its
AWSCURRENT version signs; AWSPREVIOUS still verifies until the next rotation retires it. Each
token names its key in the `kid` header (derived from the key, so it reveals nothing of it), and
verification picks the key by kid: an unknown kid is refused. Without a secret (unit tests), the
JWT_LOCAL_KEY setting is the one key.

Revocation: each token carries a session id (`sid`, which logout revokes) and the account's token
generation (`gen`, which a password change bumps); `ensure_live` checks both, and the role and
office, against the account (AccountStore.token_state: cached per process for a few seconds)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..config import settings
from ..domain.errors import Unauthenticated
from ..lazy import lazy

jwt = lazy("jwt")  # PyJWT pulls in cryptography: loaded by the first token, not by the catalog routes

ISSUER = "hallbook"
AUDIENCE = "hallbook-api"
ALGORITHM = "HS256"
CLOCK_SKEW_SECONDS = 60  # between the instances that issue and check a token
KEY_CACHE_SECONDS = 300.0  # a rotation reaches every process within this (process time)
UNKNOWN_KID_REFRESH_SECONDS = 30.0  # a token naming an unknown key re-reads the secret at most this often
LOCAL_KID = "local"


@dataclass(frozen=True)
class Caller:
    account_id: str
    role: str  # citizen | staff | admin | operator
    office_id: str | None = None
    phone_verified: bool = False
    gen: int | None = None  # the account's token generation when the token was issued
    sid: str | None = None  # the session id (DELETE /v1/sessions/current revokes it)
    expires_at: int | None = None  # epoch seconds


@dataclass(frozen=True)
class SigningKey:
    kid: str
    secret: str


@dataclass(frozen=True)
class KeyRing:
    current: SigningKey
    previous: SigningKey | None = None

    def find(self, kid: object) -> SigningKey | None:
        for key in (self.current, self.previous):
            if key is not None and isinstance(kid, str) and hmac.compare_digest(key.kid, kid):
                return key
        return None


def key_id(secret: str) -> str:
    """A key's id: an HMAC of a fixed text under the key (the key cannot be recovered from it)."""
    digest = hmac.new(secret.encode(), b"hallbook session key id", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode("ascii")


_lock = threading.Lock()
_ring: tuple[tuple[str, str], float, KeyRing] | None = None  # (where the keys come from, when read, keys)
_last_forced = float("-inf")


def _fetch_ring() -> KeyRing:
    arn = settings().jwt_secret_arn
    if not arn:
        if settings().jwt_local_key:
            return KeyRing(SigningKey(LOCAL_KID, settings().jwt_local_key))
        raise RuntimeError("no JWT signing key configured (JWT_SECRET_ARN)")
    from ..aws import secret

    current = secret(arn) or ""
    previous = secret(arn, "AWSPREVIOUS")  # None: never rotated
    return KeyRing(
        SigningKey(key_id(current), current),
        SigningKey(key_id(previous), previous) if previous and previous != current else None,
    )


def key_ring(force: bool = False) -> KeyRing:
    """The current and previous keys, read at most every KEY_CACHE_SECONDS (or when `force`d)."""
    global _ring, _last_forced
    source = (settings().jwt_secret_arn, settings().jwt_local_key)
    with _lock:
        stamp = time.monotonic()
        cached = _ring[2] if _ring is not None and _ring[0] == source else None
        if force:
            if cached is not None and stamp - _last_forced < UNKNOWN_KID_REFRESH_SECONDS:
                return cached
            _last_forced = stamp
        elif cached is not None and _ring is not None and 0 <= stamp - _ring[1] < KEY_CACHE_SECONDS:
            return cached
        ring = _fetch_ring()
        _ring = (source, stamp, ring)
        return ring


def forget_keys() -> None:
    """The next call reads the secret again (tests; a process learns of a rotation by itself)."""
    global _ring, _last_forced
    with _lock:
        _ring, _last_forced = None, float("-inf")


def signing_key() -> str:
    return key_ring().current.secret


def issue(caller: Caller, now: datetime) -> tuple[str, int]:
    ttl = settings().token_ttl_seconds
    key = key_ring().current
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": caller.account_id,
        "role": caller.role,
        "pv": caller.phone_verified,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "gen": caller.gen or 0,
        "sid": caller.sid or secrets.token_urlsafe(16),
    }
    if caller.office_id:
        claims["office"] = caller.office_id
    return jwt.encode(claims, key.secret, algorithm=ALGORITHM, headers={"kid": key.kid}), ttl


def _key_for(token: str) -> SigningKey:
    """The key the token's `kid` names. A token without a kid is only good under the local key."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        raise Unauthenticated("The token is not valid.") from None
    ring = key_ring()
    if kid is None and ring.current.kid == LOCAL_KID:
        return ring.current
    key = ring.find(kid)
    if key is None and kid is not None:
        key = key_ring(force=True).find(kid)  # rotated since this process last read the secret?
    if key is None:
        raise Unauthenticated("The token is not valid (unknown signing key).")
    return key


# the token of the request being handled, decoded once: the guard and the route both ask (web/app.py
# forgets it when a request starts); its times are still checked against `now` at every ask
_decoded: ContextVar[tuple[str, tuple[int, int, int], Caller] | None] = ContextVar("decoded_token", default=None)


def new_request() -> None:
    """A request starts: the token it carries is decoded again (once)."""
    _decoded.set(None)


def verify(authorization: str | None, now: datetime) -> Caller:
    """The caller a token names, checked for signature, key, issuer, audience and times (not yet for
    revocation: ensure_live)."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated("Send `Authorization: Bearer <token>` from POST /v1/sessions.")
    memo = _decoded.get()
    if memo is not None and memo[0] == authorization:
        times, caller = memo[1], memo[2]
    else:
        times, caller = _decode(authorization[len("Bearer ") :].strip())
        _decoded.set((authorization, times, caller))
    issued_at, not_before, expires_at = times
    instant = int(now.timestamp())
    if issued_at > instant + CLOCK_SKEW_SECONDS or not_before > instant + CLOCK_SKEW_SECONDS:
        raise Unauthenticated("The token is not valid yet.")
    if expires_at <= instant:
        raise Unauthenticated("The token has expired; log in again.")
    return caller


def _decode(token: str) -> tuple[tuple[int, int, int], Caller]:
    """The token's signature, key, issuer and audience checked; its times returned to be checked."""
    key = _key_for(token)
    try:
        # PyJWT would check iat/nbf/exp against the wall clock: every time check is ours, on `now`
        claims = jwt.decode(
            token,
            key.secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={
                "require": ["exp", "iat", "sub", "iss", "aud"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        issued_at, expires_at = int(claims["iat"]), int(claims["exp"])
        not_before = int(claims.get("nbf", issued_at))
        gen = int(claims["gen"]) if "gen" in claims else None
        sid = claims.get("sid")
        if sid is not None and not isinstance(sid, str):
            raise ValueError("sid")
    except (jwt.PyJWTError, TypeError, ValueError):
        raise Unauthenticated("The token is not valid.") from None
    caller = Caller(
        claims["sub"], claims.get("role", "citizen"), claims.get("office"), bool(claims.get("pv")), gen, sid, expires_at
    )
    return (issued_at, not_before, expires_at), caller


def ensure_live(caller: Caller) -> Caller:
    """Refuses a token whose session was logged out, whose generation is older than the account's
    (a password change), or whose role or office the account no longer has."""
    from ..store.stores import stores

    if caller.sid is None or caller.gen is None:
        raise Unauthenticated("This token has no session; log in again.")
    state = stores().account_store.token_state(caller.account_id)
    if state is None:
        raise Unauthenticated("The account no longer exists.")
    if caller.gen != state.token_gen:
        raise Unauthenticated("This session ended when the password was changed; log in again.")
    if caller.sid in state.revoked_sids:
        raise Unauthenticated("This session was logged out; log in again.")
    if caller.role != state.role or (caller.office_id or None) != (state.office_id or None):
        raise Unauthenticated("The account's role changed; log in again.")
    return caller
