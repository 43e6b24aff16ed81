"""Issue 13's negative cache of full slots against R7. A slot an environment has seen full is refused
there for a second without any DynamoDB request; a stale "full" never refuses a slot with room longer
than that second; a stale "free" never overbooks (the transaction's condition is the guard): many
environments that all read "free" book at once, and exactly `capacity` win. Environments are
simulated with separate caches (hallbook.store.readcache.environment, per thread); DynamoDB requests
are counted where they arrive, at the embedded AWS. The cache's own behaviour around the booking rule
(refusals without a request, the last place's retry, the day read, a stale mark's TTL) is checked on the
in-memory stores: tests/unit/test_booking_services.py."""

from __future__ import annotations

from datetime import date

import pytest

from hallbook.clock import now
from hallbook.domain import errors
from hallbook.services import bookings, catalog
from hallbook.store import readcache
from hallbook.store import slots as slot_store
from tests.races.test_races import booked_items, request, verified_callers
from tests.support import OFFICE, SERVICE, count_dynamodb_calls, put_test_office, release_days, run_at_once

pytestmark = pytest.mark.R7
DAY = date(2026, 9, 15)


@pytest.fixture
def dynamodb_calls(monkeypatch) -> list[str]:
    """The DynamoDB operations the embedded AWS serves from now on, by name."""
    return count_dynamodb_calls(monkeypatch)


def book(caller, key: str, env: readcache.ReadCaches):
    with readcache.environment(env):
        return bookings.book(caller, request(), key, now())


def test_availability_teaches_the_negative_cache(system, dynamodb_calls):
    put_test_office(capacity=1)
    release_days(3)
    holder, late = verified_callers(system, 2)
    env = readcache.ReadCaches()
    book(holder, "h", env)
    with readcache.environment(env):
        body = catalog.availability(OFFICE, SERVICE, None, None, now())
    assert body["days"][0]["slots"][0]["remaining"] == 0
    before = len(dynamodb_calls)
    with pytest.raises(errors.SlotFull):
        book(late, "l", env)
    assert len(dynamodb_calls) == before


@pytest.mark.parametrize("capacity", [1, 3])
def test_a_stale_free_never_overbooks(system, capacity):
    put_test_office(capacity=capacity)
    release_days(3)
    callers = verified_callers(system, 12)
    environments = [readcache.ReadCaches() for _ in callers]
    for env in environments:  # every environment has just read the slot with room
        with readcache.environment(env):
            body = catalog.availability(OFFICE, SERVICE, None, None, now())
        assert body["days"][0]["slots"][0]["remaining"] == capacity
    results = run_at_once([lambda c=c, e=e: book(c, f"k-{c.account_id}", e) for c, e in zip(callers, environments)])
    wins = [r for r in results if isinstance(r, tuple)]
    assert len(wins) == capacity
    assert all(isinstance(r, errors.SlotFull) for r in results if not isinstance(r, tuple)), results
    slot = slot_store.get_slot(OFFICE, SERVICE, DAY, "09:00")
    assert slot.booked == capacity == len(booked_items())
