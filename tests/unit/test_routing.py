"""One declaration per route (web/routing.py): the guard and the document read the same declaration,
and a request's token is decoded once however many times the guard and the route ask for it."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from hallbook.clock import now
from hallbook.config import reset_settings
from hallbook.domain.errors import Unauthenticated
from hallbook.services import tokens
from hallbook.web import guard, openapi
from hallbook.web.routes import every_route
from hallbook.web.routing import CITIZEN, ROUTES


def test_the_guard_and_the_document_read_the_one_declaration() -> None:
    routes = every_route()
    assert len(routes) >= 80
    booking = routes[("POST", "/v1/bookings")]
    assert booking.roles == CITIZEN and booking.ok == (201,) and "SLOT_FULL" in booking.refusals[409]
    assert guard.ROUTES is ROUTES and openapi.ROUTES is ROUTES
    event = {"httpMethod": "POST", "resource": "/v1/bookings"}
    assert guard.rule_of(event) is booking


def test_a_token_is_decoded_once_per_request_and_its_times_checked_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_LOCAL_KEY", "unit-test-key-that-is-long-enough-for-hs256")
    monkeypatch.delenv("JWT_SECRET_ARN", raising=False)
    reset_settings()
    token, expires_in = tokens.issue(tokens.Caller("account-1", "citizen"), now())
    header = f"Bearer {token}"
    decoded = []
    real = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decoded.append(1) or real(*a, **k))
    tokens.new_request()
    for _ in range(3):  # the guard, its per-account limit, the route
        assert tokens.verify(header, now()).account_id == "account-1"
    assert len(decoded) == 1
    with pytest.raises(Unauthenticated):  # the memo never outlives the token's own times
        tokens.verify(header, now() + timedelta(seconds=expires_in + 1))
    tokens.new_request()
    tokens.verify(header, now())
    assert len(decoded) == 2
