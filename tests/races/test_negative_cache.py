"""Issue 13's negative cache of full slots against R7. A slot an environment has seen full is refused
there for a second without any DynamoDB request; a stale "full" never refuses a slot with room longer
than that second; a stale "free" never overbooks (the transaction's condition is the guard): many
environments that all read "free" book at once, and exactly `capacity` win. Environments are
simulated with separate caches (hallbook.store.readcache.environment, per thread); DynamoDB requests
are counted where they arrive, at the embedded AWS."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hallbook.clock import now
from hallbook.domain import errors
from hallbook.services import bookings, catalog
from hallbook.store import bookings as booking_store
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


def test_a_slot_seen_full_is_refused_without_any_dynamodb_request(system, dynamodb_calls):
    put_test_office(capacity=1)
    release_days(3)
    holder, first, second = verified_callers(system, 3)
    env = readcache.ReadCaches()
    book(holder, "h", env)
    with pytest.raises(errors.SlotFull):
        book(first, "f", env)  # reads the slot: full, and remembered
    before = len(dynamodb_calls)
    for i in range(5):
        with pytest.raises(errors.SlotFull):
            book(second, f"s{i}", env)
    assert len(dynamodb_calls) == before
    # another environment has not seen it: it reads (and learns)
    other = readcache.ReadCaches()
    with pytest.raises(errors.SlotFull):
        book(second, "o", other)
    assert len(dynamodb_calls) > before


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


def test_a_stale_full_never_refuses_a_slot_with_room_longer_than_the_ttl(system):
    put_test_office(capacity=1)
    release_days(3)
    holder, waiting = verified_callers(system, 2)
    here, there = readcache.ReadCaches(), readcache.ReadCaches()
    held, _ = book(holder, "h", there)
    with pytest.raises(errors.SlotFull):
        book(waiting, "w1", here)  # `here` now believes the slot full
    with readcache.environment(there):
        # room again, seen by `there` only (the hall's cancellation: R19 delays a citizen's)
        bookings.cancel_booking(booking_store.get_booking(held.booking_id), now(), by="hall")
    with pytest.raises(errors.SlotFull):
        book(waiting, "w2", here)  # within the TTL: the stale "full" it is allowed
    system.clock.advance(timedelta(seconds=readcache.FULL_SLOT_SECONDS))
    booking, created = book(waiting, "w3", here)  # never longer
    assert created and booking.status == "booked"
    slot = slot_store.get_slot(OFFICE, SERVICE, DAY, "09:00")
    assert slot.booked == 1 == len(booked_items())


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


def test_the_booking_that_took_the_last_place_is_still_found_by_its_retry(system, dynamodb_calls):
    put_test_office(capacity=1)
    release_days(3)
    winner, late = verified_callers(system, 2)
    env = readcache.ReadCaches()
    first, created = book(winner, "same-key", env)
    assert created
    before = len(dynamodb_calls)
    with pytest.raises(errors.SlotFull):  # the last place is gone: known here without a read
        book(late, "l", env)
    assert len(dynamodb_calls) == before
    again, created = book(winner, "same-key", env)  # a retry of the winner's request
    assert not created and again.booking_id == first.booking_id


def test_a_day_with_a_full_slot_renews_all_its_full_marks_in_one_query_a_second(system, dynamodb_calls):
    """Once one slot of a hall-service-day has been seen full here, an attempt on a slot without a live
    mark first reads the whole day (one strongly consistent Query, at most once a second): every full
    slot of the day is then refused without a request, instead of one read per slot per second."""
    put_test_office(capacity=1)
    release_days(3)
    early, also_early, late = verified_callers(system, 3)
    _book_at(early, "09:00", "e", readcache.ReadCaches())
    _book_at(also_early, "09:30", "a", readcache.ReadCaches())  # both slots of the day are full now
    env = readcache.ReadCaches()
    with pytest.raises(errors.SlotFull):
        _book_at(late, "09:00", "l1", env)  # never seen here: it reads its slot (and learns the day had a full one)
    before = len(dynamodb_calls)
    with pytest.raises(errors.SlotFull):
        _book_at(late, "09:30", "l2", env)  # not marked, but the day is: the whole day in one Query
    assert dynamodb_calls[before:] == ["Query"]
    before = len(dynamodb_calls)
    for i, start in enumerate(["09:00", "09:30"] * 3):
        with pytest.raises(errors.SlotFull):
            _book_at(late, start, f"l3-{i}", env)
    assert dynamodb_calls[before:] == []
    system.clock.advance(timedelta(seconds=readcache.FULL_SLOT_SECONDS))  # every mark has run out
    for i, start in enumerate(["09:30", "09:00"] * 3):
        with pytest.raises(errors.SlotFull):
            _book_at(late, start, f"l4-{i}", env)
    assert dynamodb_calls[before:] == ["Query"], "one Query renews both marks; the other five attempts read nothing"


def test_the_day_read_lets_through_a_slot_that_has_room_again(system):
    put_test_office(capacity=1)
    release_days(3)
    holder, other, waiting = verified_callers(system, 3)
    there = readcache.ReadCaches()
    held, _ = _book_at(holder, "09:00", "h", there)
    _book_at(other, "09:30", "o", there)
    here = readcache.ReadCaches()
    for start in ("09:00", "09:30"):
        with pytest.raises(errors.SlotFull):
            _book_at(waiting, start, f"w-{start}", here)
    with readcache.environment(there):
        bookings.cancel_booking(booking_store.get_booking(held.booking_id), now(), by="hall")
    system.clock.advance(timedelta(seconds=readcache.FULL_SLOT_SECONDS))
    with pytest.raises(errors.SlotFull):
        _book_at(waiting, "09:30", "w2", here)  # the day read: 09:30 still full, 09:00 has room again
    booking, created = _book_at(waiting, "09:00", "w3", here)
    assert created and booking.status == "booked"
    assert slot_store.get_slot(OFFICE, SERVICE, DAY, "09:00").booked == 1


def _book_at(caller, start: str, key: str, env: readcache.ReadCaches):
    with readcache.environment(env):
        return bookings.book(caller, request(start), key, now())
