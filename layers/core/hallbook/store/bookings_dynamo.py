"""The booking aggregate's DynamoDB adapter (ports.bookings.BookingStore): store/bookings/'s functions,
the places kept for the waitlist turned into store/waitlist.py's items here, so that neither store
module imports the other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Guard
    from .bookings import Booking, RescheduleKey, Subject
    from .outbox import Message
    from .slots import SlotState
    from .waitlist import Place


class DynamoBookings:
    """The booking aggregate on DynamoDB: store/bookings/'s functions (the places kept for the waitlist
    become store/waitlist.py's items here, so neither store module imports the other)."""

    def get_booking(self, booking_id: str) -> Booking | None:
        from . import bookings

        return bookings.get_booking(booking_id)

    def get_subject(self, id_number: str) -> Subject:
        from . import bookings

        return bookings.get_subject(id_number)

    def read_for_booking(
        self, booking_id: str, id_number: str, office_id: str, service_code: str, day: date, start: str
    ) -> tuple[Booking | None, Subject, SlotState | None]:
        from . import bookings

        return bookings.read_for_booking(booking_id, id_number, office_id, service_code, day, start)

    def book_slot(
        self,
        booking: Booking,
        message: Message,
        now: datetime,
        slot_ends_at: datetime,
        also: tuple[Message, ...] = (),
        slot_was_open: bool = False,
        guard: Guard | None = None,
    ) -> None:
        from . import bookings

        bookings.book_slot(booking, message, now, slot_ends_at, also, slot_was_open, guard)

    def cancel_booking(
        self,
        booking: Booking,
        subject: Subject,
        now: datetime,
        by: str,
        reason: str | None,
        messages: list[Message],
        count_against_subject: bool,
        delayed_place: Place | None = None,
    ) -> None:
        from . import bookings
        from .waitlist import delayed_place_item

        item = delayed_place_item(delayed_place) if delayed_place is not None else None
        bookings.cancel_booking(booking, subject, now, by, reason, messages, count_against_subject, item)

    def move_booking(
        self,
        booking: Booking,
        moved: Booking,
        now: datetime,
        slot_ends_at: datetime,
        messages: list[Message],
        delayed_place: Place,
        key_id: str | None = None,
    ) -> None:
        from . import bookings
        from .waitlist import delayed_place_item

        bookings.move_booking(booking, moved, now, slot_ends_at, messages, delayed_place_item(delayed_place), key_id)

    def pseudonymise_for_account(self, account_id: str, pseudonym: Callable[[str], str]) -> int:
        from . import bookings

        return bookings.pseudonymise_for_account(account_id, pseudonym)

    def get_reschedule_key(self, key_id: str) -> RescheduleKey | None:
        from . import bookings

        return bookings.get_reschedule_key(key_id)

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Booking], str | None]:
        from . import bookings

        return bookings.list_for_account(account_id, limit, cursor)

    def get_subjects(self, id_numbers: list[str]) -> dict[str, Subject]:
        from . import bookings

        return bookings.get_subjects(id_numbers)
