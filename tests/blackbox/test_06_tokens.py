"""Scenario 10: session tokens are checked against the local clock, years ahead of the machine's:
they work at NOW, and a day later (2-hour TTL) the old one has expired while a new login works."""

from __future__ import annotations

from datetime import timedelta

import pytest
from blackbox_support import Api, assert_problem, register

pytestmark = [pytest.mark.R1]


def test_tokens_follow_the_local_clock(api: Api) -> None:
    citizen = register(api)
    reply = api.post("/v1/sessions", {"login": citizen.phone, "password": citizen.password})
    assert reply.status == 200, reply
    token, ttl = reply.json()["token"], reply.json()["expires_in"]
    assert ttl == 2 * 3600
    me = api.get("/v1/me", token=token)
    assert me.status == 200, me
    assert me.json()["account_id"] == citizen.account_id

    staff = api.login("staff@gz-tianhe-yuangang-ps", "local-staff-pass")
    admin = api.login("admin", "local-admin-pass")

    api.move_clock(api.now() + timedelta(days=1))

    assert_problem(api.get("/v1/me", token=token), 401, "UNAUTHENTICATED")
    assert_problem(
        api.post("/v1/offices/gz-tianhe-yuangang-ps/queue/next", {"counter": "1"}, token=staff), 401, "UNAUTHENTICATED"
    )
    assert_problem(
        api.post("/v1/offices/gz-tianhe-yuangang-ps/closures", {"date": "2031-01-06", "reason": "x"}, token=admin),
        401,
        "UNAUTHENTICATED",
    )
    fresh = api.login(citizen.id_number, citizen.password)
    me = api.get("/v1/me", token=fresh)
    assert me.status == 200, me
    assert me.json()["account_id"] == citizen.account_id
