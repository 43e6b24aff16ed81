"""R8a under concurrency, against the embedded AWS (serialised as DynamoDB answers): a reschedule is one
transaction, so whatever runs beside it a slot is never booked beyond capacity, a subject never holds
two active bookings of a service, and every place taken is a booking's or a delayed place's."""

from __future__ import annotations

from datetime import date

import pytest

from hallbook.clock import now
from hallbook.domain import errors
from hallbook.services import bookings
from hallbook.services.reschedule import RescheduleRequest, reschedule
from hallbook.store import slots as slot_store
from hallbook.store.bookings import BookingItem, get_subject
from tests.races.test_races import request, verified_callers
from tests.support import OFFICE, SERVICE, put_test_office, release_days, run_at_once

DAY, OTHER = "2026-09-15", "2026-09-16"
pytestmark = [pytest.mark.R8a, pytest.mark.R7, pytest.mark.R9]


def active() -> list:
    return [i for i in BookingItem.scan() if i.pk.startswith("BOOKING#") and i.status == "booked"]


def slot(day: str, start: str):
    return slot_store.get_slot(OFFICE, SERVICE, date.fromisoformat(day), start)


def assert_consistent() -> None:
    """Every slot's `booked` is its active bookings plus its delayed places; never above capacity."""
    for day in (DAY, OTHER):
        for start in ("09:00", "09:30"):
            state = slot(day, start)
            here = [i for i in active() if i.date == day and i.start == start]
            assert state.booked <= state.capacity
            assert state.booked == len(here) + state.held, (day, start, state, len(here))


def test_two_reschedules_of_one_booking_at_once_leave_one_booking_in_one_place(system):
    put_test_office(capacity=2)
    release_days(3)
    (caller,) = verified_callers(system, 1)
    held, _ = bookings.book(caller, request(), "hold", now())
    targets = [RescheduleRequest(OTHER, "09:00"), RescheduleRequest(OTHER, "09:30"), RescheduleRequest(DAY, "09:30")]
    results = run_at_once(
        [lambda t=t, i=i: reschedule(caller, held.booking_id, t, f"m{i}", now()) for i, t in enumerate(targets)]
    )
    assert all(not isinstance(r, Exception) for r in results), results
    (booking,) = active()
    assert (booking.date, booking.start) in {(t.date, t.start) for t in targets}
    assert get_subject(booking.subject_id_number).active_services == {SERVICE}
    assert_consistent()
    assert sum(slot(d, s).booked for d in (DAY, OTHER) for s in ("09:00", "09:30")) == 1 + sum(
        slot(d, s).held for d in (DAY, OTHER) for s in ("09:00", "09:30")
    )


def test_the_same_reschedule_sent_eight_times_at_once_moves_once(system):
    put_test_office(capacity=3)
    release_days(3)
    (caller,) = verified_callers(system, 1)
    held, _ = bookings.book(caller, request(), "hold", now())
    target = RescheduleRequest(OTHER, "09:30")
    results = run_at_once([lambda: reschedule(caller, held.booking_id, target, "one-key", now()) for _ in range(8)])
    assert all(not isinstance(r, Exception) and (r.date.isoformat(), r.start) == (OTHER, "09:30") for r in results)
    assert slot(OTHER, "09:30").booked == 1 and slot(DAY, "09:00").held == 1
    assert_consistent()


def test_a_reschedule_against_a_cancel_one_wins_and_nothing_leaks(system):
    put_test_office(capacity=2)
    release_days(3)
    (caller,) = verified_callers(system, 1)
    held, _ = bookings.book(caller, request(), "hold", now())
    results = run_at_once(
        [
            lambda: reschedule(caller, held.booking_id, RescheduleRequest(OTHER, "09:00"), "m", now()),
            lambda: bookings.cancel(caller, held.booking_id, now()),
        ]
    )
    moved, cancelled = results
    # either order is allowed: move then cancel (both succeed), or cancel first (the move is refused)
    if isinstance(moved, Exception):
        assert isinstance(moved, errors.NotCancellable)
    assert not isinstance(cancelled, Exception) and cancelled.status == "cancelled"
    assert active() == []
    assert get_subject(held.subject_id_number).active_services == set()
    assert_consistent()


def test_reschedules_against_bookings_for_the_last_place_never_overbook(system):
    put_test_office(capacity=1)
    release_days(3)
    movers = verified_callers(system, 4)
    rivals = verified_callers(system, 4)
    held = [bookings.book(c, request(), "hold", now())[0] for c in movers[:1]]
    held += [
        bookings.book(c, bookings.BookingRequest(OFFICE, SERVICE, DAY, "09:30", True), "h", now())[0]
        for c in movers[1:2]
    ]
    target = RescheduleRequest(OTHER, "09:00")
    jobs = [
        lambda c=c, b=b: reschedule(c, b.booking_id, target, "m", now()) for c, b in zip(movers, held, strict=False)
    ]
    jobs += [
        lambda c=c: bookings.book(c, bookings.BookingRequest(OFFICE, SERVICE, OTHER, "09:00", True), "r", now())
        for c in rivals
    ]
    results = run_at_once(jobs)
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    losers = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, errors.SlotFull) for e in losers), {type(e).__name__ for e in losers}
    assert slot(OTHER, "09:00").booked == 1
    rival_won = any(isinstance(r, tuple) for r in winners)
    assert len(active()) == len(held) + rival_won  # a move keeps its one booking; a rival adds one
    for caller_booking in held:
        assert get_subject(caller_booking.subject_id_number).active_services == {SERVICE}
    assert_consistent()
