"""A hall's day cancelled (steps 2 and 3 of services/closures.py): its released slots closed, its
bookings cancelled by the hall, its waitlist ended. An administrator's closure and a day the calendar
closes (services/calendar_sync.py) both come here; neither the release nor the closures are imported,
so the noon release -> calendar sync -> day cancellation path has no circle back to the release.

The by_office_day index is eventually consistent, so a booking made just before its slot closed could
be missing from the Query: the places each slot held when it closed (final, since nothing can join a
closed slot) are compared with the bookings found, and the Query is repeated until they agree.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime

from ..domain import errors
from ..domain.booking import Status
from ..store.slots import SlotState
from ..store.stores import stores
from . import waitlist
from .bookings import cancel_booking

CONSISTENCY_WAITS = (0.1, 0.3, 0.6, 1.0, 2.0)  # seconds between Queries while the index catches up


def cancel_day(
    office_id: str,
    service_codes: list[str],
    day: date,
    reason: str,
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
    sms_template: str | None = None,
) -> tuple[list[SlotState], int, int]:
    """Steps 2 and 3 of a closure (services/closures.py): the day's released slots closed, its bookings cancelled by the
    hall (SMS `sms_template`, the closure's by default; never counted against the citizen), its
    waitlist ended. Also a day the calendar closes (services/calendar_sync.py).
    (the slots as closed, cancelled now, cancelled by the hall in all)"""
    store = stores().catalog_admin
    slots = store.close_slots_of_day(office_id, service_codes, day)
    held = {(s.service_code, s.start): s.bookings for s in slots}

    for wait in (0.0, *CONSISTENCY_WAITS):
        if wait:
            sleep(wait)
        bookings = store.bookings_of_day(office_id, day)
        found = Counter((b.service_code, b.start) for b in bookings if b.status != Status.CANCELLED.value)
        if all(found[key] >= places for key, places in held.items()):
            break
    else:
        raise errors.Busy(
            "The closure is recorded but some of the day's bookings are not visible yet; "
            "repeat the request (it is safe to repeat)."
        )

    cancelled_now = 0
    for booking in sorted(bookings, key=lambda b: b.created_at):
        if booking.status != Status.BOOKED.value:
            continue
        try:
            cancel_booking(booking, now, by="hall", reason=reason, sms_template=sms_template)
            cancelled_now += 1
        except errors.NotCancellable:
            pass  # checked in (a closure of today) or cancelled meanwhile
    waitlist.close_day(office_id, service_codes, day, reason, now)  # R18: its offers and entries end
    by_hall = sum(1 for b in bookings if b.cancelled_by == "hall") + cancelled_now
    return slots, cancelled_now, by_hall
