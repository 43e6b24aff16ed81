"""Session tokens are checked against the injected clock only (iat, nbf, exp), never the wall clock:
local mode's clock may be years ahead of (or behind) the machine's."""

from datetime import datetime, timedelta

import jwt
import pytest

from hallbook.config import reset_settings
from hallbook.domain.errors import Unauthenticated
from hallbook.services import tokens

pytestmark = [pytest.mark.R1]

KEY = "unit-test-key-that-is-long-enough-for-hs256"
FAR_AHEAD = datetime.fromisoformat("2030-09-30T09:00+08:00")
FAR_BEHIND = datetime.fromisoformat("2001-03-01T09:00+08:00")


@pytest.fixture(autouse=True)
def local_key(monkeypatch):
    monkeypatch.setenv("JWT_LOCAL_KEY", KEY)
    monkeypatch.delenv("JWT_SECRET_ARN", raising=False)
    reset_settings()
    yield
    reset_settings()


@pytest.mark.parametrize("now", [FAR_AHEAD, FAR_BEHIND], ids=["years-ahead", "years-behind"])
def test_a_token_issued_at_the_injected_instant_is_accepted_then(now):
    token, ttl = tokens.issue(tokens.Caller("a1", "citizen", phone_verified=True), now)
    assert tokens.verify(f"Bearer {token}", now + timedelta(seconds=ttl - 1)).account_id == "a1"
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.verify(f"Bearer {token}", now + timedelta(seconds=ttl))


def test_a_token_from_the_future_of_the_injected_clock_is_refused():
    token, _ = tokens.issue(tokens.Caller("a1", "citizen"), FAR_AHEAD)
    with pytest.raises(Unauthenticated):
        tokens.verify(f"Bearer {token}", FAR_AHEAD - timedelta(minutes=5))


def test_nbf_is_checked_against_the_injected_clock():
    at = int(FAR_AHEAD.timestamp())
    claims = {"iss": tokens.ISSUER, "aud": tokens.AUDIENCE, "sub": "a1", "iat": at, "nbf": at + 600, "exp": at + 3600}
    token = jwt.encode(claims, KEY, algorithm="HS256")
    with pytest.raises(Unauthenticated):
        tokens.verify(f"Bearer {token}", FAR_AHEAD)
    assert tokens.verify(f"Bearer {token}", FAR_AHEAD + timedelta(minutes=11)).account_id == "a1"


@pytest.mark.parametrize("forge", ["wrong-key", "alg-none", "string-exp"])
def test_forged_tokens_are_refused(forge):
    at = int(FAR_AHEAD.timestamp())
    claims = {"iss": tokens.ISSUER, "aud": tokens.AUDIENCE, "sub": "a1", "role": "admin", "iat": at, "exp": at + 60}
    if forge == "wrong-key":
        token = jwt.encode(claims, "another-key-another-key-another-key!", algorithm="HS256")
    elif forge == "alg-none":
        token = jwt.encode(claims, None, algorithm="none")
    else:
        token = jwt.encode({**claims, "exp": "tomorrow"}, KEY, algorithm="HS256")
    with pytest.raises(Unauthenticated):
        tokens.verify(f"Bearer {token}", FAR_AHEAD)
