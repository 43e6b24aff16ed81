"""Races against the embedded AWS, whose calls are serialised so it answers as DynamoDB would.
Each test runs the same service functions the handlers call, from many threads at once, and checks
that exactly the allowed number of winners exist - in the answers and in the tables."""

from __future__ import annotations

import pytest

from hallbook.clock import now
from hallbook.domain import errors
from hallbook.services import accounts, bookings
from hallbook.services.tokens import Caller
from hallbook.store import accounts as account_store
from hallbook.store import slots as slot_store
from hallbook.store.bookings import BookingItem
from tests.idnumbers import id_number
from tests.support import OFFICE, SERVICE, put_test_office, registered, release_days, run_at_once

pytestmark = [pytest.mark.R7, pytest.mark.R9]

DAY = "2026-09-15"


def verified_callers(system, n: int) -> list[Caller]:
    callers = []
    for _ in range(n):
        c = registered(system, login=False)
        account_id = account_store.find_account_id(f"ID#{c.id_number}")
        callers.append(Caller(account_id, "citizen", None, True))
    return callers


def request(start="09:00", service=SERVICE, subject=None):
    return bookings.BookingRequest(OFFICE, service, DAY, start, True, subject)


def booked_items(start="09:00") -> list:
    return [i for i in BookingItem.scan() if i.date == DAY and i.start == start and i.status == "booked"]


@pytest.mark.slow
@pytest.mark.parametrize("capacity", [1, 5])
def test_64_citizens_one_slot_exactly_capacity_win(system, capacity):
    put_test_office(capacity=capacity)
    release_days(3)
    callers = verified_callers(system, 64)
    results = run_at_once([lambda c=c: bookings.book(c, request(), f"key-{c.account_id}", now()) for c in callers])
    wins = [r for r in results if isinstance(r, tuple)]
    losses = [r for r in results if not isinstance(r, tuple)]
    assert len(wins) == capacity
    assert all(isinstance(e, errors.SlotFull) for e in losses), {type(e).__name__ for e in losses}
    slot = slot_store.get_slot(OFFICE, SERVICE, now().date().replace(day=15), "09:00")
    assert slot.booked == capacity == len(booked_items())


def test_concurrent_registrations_of_one_phone_have_one_winner(system):
    phone = "13912340000"
    ids = [id_number("440305", "19900101", f"{i:03d}") for i in range(700, 712)]
    results = run_at_once([lambda i=i: accounts.register("赵六", i, phone, "secret-pass-1", "zh", now()) for i in ids])
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    assert all(isinstance(r, errors.PhoneTaken) for r in results if isinstance(r, Exception))


def test_concurrent_registrations_of_one_id_number_have_one_winner(system):
    idn = id_number("440305", "19900101", "720")
    results = run_at_once(
        [lambda p=p: accounts.register("赵六", idn, f"1391234{p:04d}", "secret-pass-1", "zh", now()) for p in range(8)]
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, errors.IdTaken) for r in results if isinstance(r, Exception))


def test_a_cancellation_racing_bookings_gives_the_freed_place_to_exactly_one(system):
    put_test_office(capacity=1)
    release_days(3)
    holder, *rivals = verified_callers(system, 12)
    held, _ = bookings.book(holder, request(), "hold", now())
    jobs = [lambda: bookings.cancel(holder, held.booking_id, now())]
    jobs += [lambda c=c: bookings.book(c, request(), f"r-{c.account_id}", now()) for c in rivals]
    results = run_at_once(jobs)
    assert not isinstance(results[0], Exception) and results[0].status == "cancelled"
    rival_wins = [r for r in results[1:] if isinstance(r, tuple)]
    assert len(rival_wins) == 0  # R19: the freed place is delayed, not the fastest rival's
    slot = slot_store.get_slot(OFFICE, SERVICE, now().date().replace(day=15), "09:00")
    assert slot.booked == 1 and slot.held == 1 and slot.bookings == len(booked_items()) == 0


def test_the_same_idempotency_key_sent_ten_times_at_once_takes_one_place(system):
    put_test_office(capacity=5)
    release_days(3)
    (caller,) = verified_callers(system, 1)
    results = run_at_once([lambda: bookings.book(caller, request(), "one-key", now()) for _ in range(10)])
    ids = {r[0].booking_id for r in results if isinstance(r, tuple)}
    assert len(ids) == 1 and all(isinstance(r, tuple) for r in results)
    assert len(booked_items()) == 1


def test_concurrent_cancellations_of_one_subject_are_all_counted(system):
    put_test_office(capacity=5)
    release_days(3)
    (guardian,) = verified_callers(system, 1)
    child = id_number("440305", "20200101", "730")
    from hallbook.services import guardians
    from local.identity import verifier
    from tests.support import CHILD_SERVICE

    verifier.add_guardian(child, account_store.get_account(guardian.account_id).id_number)
    guardians.request_link(guardian, child, now())  # R2: the population register says so

    made = [
        bookings.book(guardian, request(), "own", now())[0],
        bookings.book(guardian, request("10:00", CHILD_SERVICE, child), "child", now())[0],
    ]
    bookings_by_minor_other_day = bookings.BookingRequest(OFFICE, SERVICE, "2026-09-16", "09:00", True, child)
    made.append(bookings.book(guardian, bookings_by_minor_other_day, "child2", now())[0])
    results = run_at_once([lambda b=b: bookings.cancel(guardian, b.booking_id, now()) for b in made])
    assert all(not isinstance(r, Exception) for r in results), results
    from hallbook.store.bookings import get_subject

    assert get_subject(child).cancel_count == 2
    account = account_store.get_account(guardian.account_id)
    assert get_subject(account.id_number).cancel_count == 1


def test_a_resend_that_lost_the_race_is_refused_not_an_error(system):
    """Two resends that read the same counter: the second one's write must find the counter moved
    (False: answered 429), never raise. pynamodb sends the SMS put before the account update, so
    the cancellation reason has to be read by label, not by position."""
    from hallbook.store import account_codes
    from hallbook.store.outbox import Message

    citizen = registered(system, verify=False, login=False)
    account = account_store.get_account(account_store.find_account_id(f"ID#{citizen.id_number}"))

    def resend(n: int) -> bool:
        sms = Message(f"{account.account_id}#code#race{n}", "verification_code", citizen.phone, "code", now())
        return account_codes.replace_code(
            account.account_id,
            f"hash{n}",
            now().isoformat(),
            account.code_sends + 1,
            now().isoformat(),
            account.code_sends,
            sms,
        )

    assert resend(1) is True
    assert resend(2) is False
