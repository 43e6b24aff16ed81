"""R7 and R9 under the waitlist's paths (R18, R19), raced from many threads at once against the embedded
AWS (its calls serialised, so it answers as DynamoDB would): every path that takes or holds a place -
a hold from a free place, an accept, a delayed place's return, a hand-off to the next entry - has
exactly the allowed number of winners, in the answers and in the tables."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hallbook.clock import now
from hallbook.domain import errors
from hallbook.services import bookings, timetables, waitlist
from hallbook.store import catalog
from hallbook.store import slots as slot_store
from hallbook.store import waitlist as wait_store
from hallbook.store.bookings import BookingItem
from tests.api.test_waitlist import book, citizens, join
from tests.support import OFFICE, SERVICE, open_office, put_test_office, run_at_once

DAY = "2026-09-15"
D = date.fromisoformat(DAY)
pytestmark = [pytest.mark.R18, pytest.mark.R7, pytest.mark.R9]


@pytest.fixture
def office(system):
    return open_office(system, capacity=2, days=3)


def slot(start: str = "09:00"):
    return slot_store.get_slot(OFFICE, SERVICE, D, start)


def bookings_made(start: str = "09:00") -> int:
    return sum(1 for i in BookingItem.scan() if i.date == DAY and i.start == start and i.status == "booked")


def assert_consistent(capacity: int = 2, start: str = "09:00") -> None:
    s = slot(start)
    assert s.booked <= capacity
    assert s.held == len([p for p in wait_store.places_of_day(OFFICE, SERVICE, D) if p.start == start])
    assert s.bookings == bookings_made(start)


def offered_entry(office) -> tuple:
    """A full slot, a waiting citizen, and a cancellation that offers the place to them."""
    holders, (waiter,) = citizens(2), citizens(1)
    made = [book(h) for h in holders]
    entry = join(waiter)
    bookings.cancel(holders[0], made[0].booking_id, now())
    # R19: the place goes to the waitlist only at its return instant, then the next run of the timers
    returns = [p.return_at for p in wait_store.places_of_day(OFFICE, SERVICE, D) if p.state == "delayed"]
    office.move_clock(max(returns) + timedelta(seconds=61))
    assert wait_store.get_entry(entry["waitlist_id"]).status == "offered"
    return waiter, entry


def test_ten_accepts_of_one_offer_make_exactly_one_booking(office):
    waiter, entry = offered_entry(office)
    results = run_at_once([lambda: waitlist.accept(waiter, entry["waitlist_id"], True, now()) for _ in range(10)])
    created = [r for r in results if isinstance(r, tuple) and r[1]]
    assert len(created) == 1
    assert all(
        isinstance(r, tuple) and r[0].booking_id == created[0][0].booking_id or isinstance(r, errors.InvalidState)
        for r in results
    ), results
    assert bookings_made() == 2 and slot().held == 0 and slot().booked == 2
    assert_consistent()


def test_an_accept_racing_a_decline_has_one_winner(office):
    waiter, entry = offered_entry(office)
    results = run_at_once(
        [
            lambda: waitlist.accept(waiter, entry["waitlist_id"], True, now()),
            lambda: waitlist.leave(waiter, entry["waitlist_id"], now()),
        ]
    )
    final = wait_store.get_entry(entry["waitlist_id"]).status
    if final == "accepted":
        assert isinstance(results[0], tuple) and results[0][1]
        assert bookings_made() == 2 and slot().held == 0
    else:
        assert final == "declined" and isinstance(results[0], errors.InvalidState)
        assert bookings_made() == 1 and slot().held == 1  # delayed again: nobody else waits
    assert slot().booked == 2
    assert_consistent()


def test_timer_runs_racing_each_other_offer_a_delayed_place_exactly_once(office):
    holders, waiters = citizens(2), citizens(3)
    made = [book(h) for h in holders]
    bookings.cancel(holders[0], made[0].booking_id, now())  # nobody waits yet: delayed
    (place,) = wait_store.places_of_day(OFFICE, SERVICE, D)
    entries = [join(w) for w in waiters]
    later = place.return_at + timedelta(seconds=1)
    results = run_at_once([lambda: waitlist.run_timers(later) for _ in range(6)])
    assert sum(r.offered for r in results if not isinstance(r, Exception)) == 1, results
    assert [wait_store.get_entry(e["waitlist_id"]).status for e in entries] == ["offered", "waiting", "waiting"]
    assert slot().booked == 2 and slot().held == 1
    assert_consistent()


def test_a_delayed_place_returning_while_ten_citizens_book_is_taken_at_most_once(office):
    holders, rivals = citizens(2), citizens(10)
    made = [book(h) for h in holders]
    bookings.cancel(holders[0], made[0].booking_id, now())
    (place,) = wait_store.places_of_day(OFFICE, SERVICE, D)
    later = place.return_at + timedelta(seconds=1)
    jobs = [lambda: waitlist.run_timers(later) for _ in range(3)]
    jobs += [lambda c=c: book(c) for c in rivals]
    results = run_at_once(jobs)
    assert sum(r.returned for r in results[:3] if not isinstance(r, Exception)) == 1  # returned once
    wins = [r for r in results[3:] if not isinstance(r, Exception)]
    assert all(isinstance(r, errors.SlotFull) for r in results[3:] if isinstance(r, Exception))
    assert len(wins) + slot().remaining == 1  # the one place: booked by one rival, or still free
    assert slot().held == 0
    assert_consistent()


def test_a_capacity_raise_racing_ten_bookers_gives_the_new_place_exactly_once(office):
    holders, (waiter,), rivals = citizens(2), citizens(1), citizens(10)
    for h in holders:
        book(h)
    entry = join(waiter)
    put_test_office(capacity=3)
    stored_office = catalog.load_catalog(max_age=0).offices[OFFICE]
    jobs = [lambda: timetables.apply_timetable(stored_office, None, now())]
    jobs += [lambda c=c: book(c) for c in rivals]
    results = run_at_once(jobs)
    wins = [r for r in results[1:] if not isinstance(r, Exception)]
    offered = wait_store.get_entry(entry["waitlist_id"]).status == "offered"
    assert len(wins) + offered == 1
    assert slot().booked == 3 and slot().remaining == 0
    assert_consistent(capacity=3)


def test_one_subject_joining_and_booking_at_once_holds_exactly_one(office):
    for h in citizens(2):
        book(h)  # 09:00 is full, 09:30 is free
    (me,) = citizens(1)
    jobs = [lambda: join(me) for _ in range(5)] + [lambda: book(me, start="09:30") for _ in range(5)]
    results = run_at_once(jobs)
    wins = [r for r in results if not isinstance(r, Exception)]
    assert len(wins) == 1, results
    assert all(isinstance(r, errors.AlreadyBooked) for r in results if isinstance(r, Exception)), results
    joined = len(wait_store.entries_of_account(me.account_id))
    assert joined + bookings_made("09:30") == 1
