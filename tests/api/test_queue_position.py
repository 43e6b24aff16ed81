"""R13: on the day, a checked-in booking shows its ticket and how many are called before it, from the
hall's queue (R15 order: booking tickets by slot, then by when booked; walk-ins after)."""

from __future__ import annotations

import pytest

from tests.api.test_staff import DAY, OFFICE, at, call_next, check_in, offices, staff, walk_in  # noqa: F401
from tests.support import registered

pytestmark = pytest.mark.R13


def queue_of(citizen, booking_id: str):
    return citizen.get(f"/v1/bookings/{booking_id}").json().get("queue")


def test_a_checked_in_booking_shows_its_ticket_and_how_many_are_before_it(system, staff, api):  # noqa: F811
    """The booking's `queue` field, read with the booking and in the list; the order it counts in (R15,
    a skipped ticket held back): tests/unit/test_counter_services.py."""
    first, second = registered(system), registered(system)
    b1 = first.book(DAY, "09:00").json()
    b2 = second.book(DAY, "09:30").json()
    assert queue_of(first, b1["booking_id"]) is None  # booked, not checked in: no queue
    system.clock.set(at("09:05"))
    walk_in(api, staff[OFFICE])  # a walk-in is called after every booking ticket (R15)
    for b in (b2, b1):
        assert check_in(api, staff[OFFICE], {"reference": b["reference"]}).status == 201
    for c in (first, second):
        c.login()
    assert queue_of(first, b1["booking_id"]) == {"ticket": "A002", "ahead": 0}
    assert queue_of(second, b2["booking_id"]) == {"ticket": "A001", "ahead": 1}
    listed = {b["booking_id"]: b for b in second.get("/v1/bookings").json()["bookings"]}
    assert listed[b2["booking_id"]]["queue"] == {"ticket": "A001", "ahead": 1}
    assert call_next(api, staff[OFFICE]).status == 200  # calls A002 (first's)
    assert queue_of(first, b1["booking_id"]) == {"ticket": "A002", "ahead": 0}  # called
    assert queue_of(second, b2["booking_id"])["ahead"] == 0
