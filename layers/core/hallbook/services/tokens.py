"""Session tokens: HS256 JWTs signed with a key the template keeps in Secrets Manager. Only HS256 is
accepted (so `alg: none` and algorithm swaps fail), with issuer, audience and expiry required."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from ..config import settings
from ..domain.errors import Unauthenticated

ISSUER = "hallbook"
AUDIENCE = "hallbook-api"
ALGORITHM = "HS256"
CLOCK_SKEW_SECONDS = 60  # between the instances that issue and check a token


@dataclass(frozen=True)
class Caller:
    account_id: str
    role: str  # citizen | staff | admin | operator
    office_id: str | None = None
    phone_verified: bool = False


def signing_key() -> str:
    arn = settings().jwt_secret_arn
    if arn:
        from aws_lambda_powertools.utilities.parameters import get_secret

        return str(get_secret(arn, max_age=300))
    if settings().jwt_local_key:
        return settings().jwt_local_key
    raise RuntimeError("no JWT signing key configured (JWT_SECRET_ARN)")


def issue(caller: Caller, now: datetime) -> tuple[str, int]:
    ttl = settings().token_ttl_seconds
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": caller.account_id, "role": caller.role,
        "pv": caller.phone_verified, "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
    }
    if caller.office_id:
        claims["office"] = caller.office_id
    return jwt.encode(claims, signing_key(), algorithm=ALGORITHM), ttl


def verify(authorization: str | None, now: datetime) -> Caller:
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated("Send `Authorization: Bearer <token>` from POST /v1/sessions.")
    token = authorization[len("Bearer "):].strip()
    try:
        # PyJWT would check iat/nbf/exp against the wall clock: every time check is ours, on `now`
        claims = jwt.decode(
            token, signing_key(), algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "aud"],
                     "verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
        issued_at, expires_at = int(claims["iat"]), int(claims["exp"])
        not_before = int(claims.get("nbf", issued_at))
    except (jwt.PyJWTError, TypeError, ValueError):
        raise Unauthenticated("The token is not valid.") from None
    instant = int(now.timestamp())
    if issued_at > instant + CLOCK_SKEW_SECONDS or not_before > instant + CLOCK_SKEW_SECONDS:
        raise Unauthenticated("The token is not valid yet.")
    if expires_at <= instant:
        raise Unauthenticated("The token has expired; log in again.")
    return Caller(claims["sub"], claims.get("role", "citizen"), claims.get("office"), bool(claims.get("pv")))
