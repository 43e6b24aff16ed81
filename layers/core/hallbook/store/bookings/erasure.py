"""PIPL, an account's closure: its finished bookings' subjects pseudonymised."""

from __future__ import annotations

from typing import Any

from ...domain.booking import Status
from ..base import updated_if
from .items import BookingItem, booking_key
from .lookups import list_for_account

ERASED = "erased#"  # a pseudonymised subject (PIPL closure): never an ID number, never looked up


def pseudonymise_for_account(account_id: str, pseudonym: Any) -> int:
    """PIPL, an account's closure: in every booking it made that is no longer `booked`, the subject's
    ID number is replaced by `ERASED + pseudonym(number)` and a newborn's name removed (each under the
    condition that the booking is still not `booked`). The subject's R11/R12 record stays keyed by the
    number (what the law keeps). The number of bookings rewritten."""
    done, cursor = 0, None
    while True:
        bookings, cursor = list_for_account(account_id, 100, cursor)
        for booking in bookings:
            if booking.status == Status.BOOKED.value or booking.subject_id_number.startswith(ERASED):
                continue
            if updated_if(
                BookingItem(booking_key(booking.booking_id)),
                [
                    BookingItem.subject_id_number.set(ERASED + pseudonym(booking.subject_id_number)),
                    BookingItem.newborn_name.remove(),
                ],
                BookingItem.pk.exists() & (BookingItem.status != Status.BOOKED.value),
            ):
                done += 1
        if not cursor:
            return done
