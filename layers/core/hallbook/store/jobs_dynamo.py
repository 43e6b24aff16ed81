"""The scheduled jobs' DynamoDB adapter (ports.jobs.SweepStore): store/bookings/'s sweep index and
no-show transaction, store/outbox.py's conditional write."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .bookings import Booking, Subject
    from .outbox import Message


class DynamoJobs:
    """The sweep's and the reminders' reads and writes on DynamoDB."""

    def due_for_sweep(self, day: date, now: datetime) -> list[str]:
        from . import bookings

        return bookings.due_for_sweep(day, now)

    def booked_on(self, day: date) -> list[str]:
        from . import bookings

        return bookings.booked_on(day)

    def get_bookings(self, booking_ids: list[str]) -> list[Booking]:
        from . import bookings

        return bookings.get_bookings(booking_ids)

    def get_subject(self, id_number: str) -> Subject:
        from . import bookings

        return bookings.get_subject(id_number)

    def get_subjects(self, id_numbers: list[str]) -> dict[str, Subject]:
        from . import bookings

        return bookings.get_subjects(id_numbers)

    def mark_no_show(
        self,
        booking: Booking,
        subject: Subject,
        now: datetime,
        messages: list[Message],
        noshow_until: str | None,
        count_against_subject: bool = True,
    ) -> bool:
        from . import bookings

        return bookings.mark_no_show(booking, subject, now, messages, noshow_until, count_against_subject)

    def enqueue_once(self, message: Message) -> bool:
        from pynamodb.exceptions import PutError

        from .outbox import enqueue

        try:
            enqueue(message)
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True
