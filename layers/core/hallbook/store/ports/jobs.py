"""The scheduled jobs' port: what the no-show sweep (R12, R21: services/sweep.py) and the day-before
reminders (R16: services/reminders.py) read and write."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..bookings import Booking, Subject
    from ..outbox import Message


class SweepStore(Protocol):
    """The bookings due for the sweep or a reminder, each found without a scan; a no-show written once
    with R12's counters and its SMS; a reminder written once per booking."""

    def due_for_sweep(self, day: date, now: datetime) -> list[str]:
        """Ids of the bookings on `day` still `booked` whose slot ended before `now` (to the second: a
        slot ending at 09:30:00 is due from 09:30:01)."""
        ...

    def booked_on(self, day: date) -> list[str]:
        """Ids of every booking on `day` still `booked`."""
        ...

    def get_bookings(self, booking_ids: list[str]) -> list[Booking]:
        """Bookings by id, strongly consistent; ids that do not exist are left out."""
        ...

    def get_subject(self, id_number: str) -> Subject: ...

    def get_subjects(self, id_numbers: list[str]) -> dict[str, Subject]: ...

    def mark_no_show(
        self,
        booking: Booking,
        subject: Subject,
        now: datetime,
        messages: list[Message],
        noshow_until: str | None,
        count_against_subject: bool = True,
    ) -> bool:
        """R12: a `booked` booking becomes `no_show` with its subject (the R9 lock released; the day
        appended to the no-shows and the suspension `noshow_until` when counted) and its SMS, all or
        nothing. False, changing nothing, when it is no longer `booked` (safe to run twice); raises
        SubjectMoved when the subject's no-shows changed since `subject` was read."""
        ...

    def enqueue_once(self, message: Message) -> bool:
        """Write a message on its own unless its id exists (True when this wrote it)."""
        ...
