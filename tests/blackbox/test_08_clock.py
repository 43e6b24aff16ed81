"""Scenario 12: the local clock never moves back (SPEC, Local mode: 409 INVALID_STATE)."""

from __future__ import annotations

from datetime import timedelta

from blackbox_support import Api, assert_problem


def test_clock_does_not_move_back(api: Api) -> None:
    before = api.now()
    reply = api.post("/local/clock", {"now": (before - timedelta(hours=1)).isoformat()})
    assert_problem(reply, 409, "INVALID_STATE")
    assert api.now() >= before
    reply = api.post("/local/clock", {"now": (before - timedelta(days=400)).isoformat()})
    assert_problem(reply, 409, "INVALID_STATE")
    assert api.now() >= before


def test_clock_needs_an_instant_with_offset(api: Api) -> None:
    reply = api.post("/local/clock", {"now": "2040-01-01T09:00"})
    assert reply.status in (400, 422), reply
    assert_problem(reply, reply.status, "VALIDATION_ERROR")
    reply = api.post("/local/clock", {"when": "tomorrow"})
    assert reply.status in (400, 422), reply
    assert_problem(reply, reply.status, "VALIDATION_ERROR")
