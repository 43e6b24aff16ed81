"""The scheduled jobs' store in memory (ports.jobs.SweepStore): the booking aggregate's dicts
(memory/bookings.py), read and written under its lock as store/bookings/'s sweep index, its no-show
transaction and store/outbox.py's conditional write do. Not kept here: the statistics' no-show counter
written in the same transaction (tests/api)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from ...clock import SHANGHAI
from ...domain.booking import Status
from ...domain.timetable import parse_hhmm
from ..bookings import Booking, Subject, SubjectMoved
from ..outbox import Message
from .bookings import MemoryBookings


def _slot_end(booking: Booking) -> datetime:
    return datetime.combine(booking.date, parse_hhmm(booking.end), SHANGHAI)


@dataclass
class MemoryJobs:
    bookings: MemoryBookings

    def _booked_on(self, day: date) -> list[Booking]:
        with self.bookings.lock:
            found = [b for b in self.bookings.bookings.values() if b.date == day and b.status == Status.BOOKED.value]
        return sorted(found, key=lambda b: (_slot_end(b), b.booking_id))

    def due_for_sweep(self, day: date, now: datetime) -> list[str]:
        bound = now.replace(microsecond=0)
        return [b.booking_id for b in self._booked_on(day) if _slot_end(b) < bound]

    def booked_on(self, day: date) -> list[str]:
        return [b.booking_id for b in self._booked_on(day)]

    def get_bookings(self, booking_ids: list[str]) -> list[Booking]:
        with self.bookings.lock:
            return [self.bookings.bookings[i] for i in dict.fromkeys(booking_ids) if i in self.bookings.bookings]

    def get_subject(self, id_number: str) -> Subject:
        return self.bookings.get_subject(id_number)

    def get_subjects(self, id_numbers: list[str]) -> dict[str, Subject]:
        return self.bookings.get_subjects(id_numbers)

    def mark_no_show(
        self,
        booking: Booking,
        subject: Subject,
        now: datetime,
        messages: list[Message],
        noshow_until: str | None,
        count_against_subject: bool = True,
    ) -> bool:
        with self.bookings.lock:
            current = self.bookings.bookings.get(booking.booking_id)
            if current is None or current.status != Status.BOOKED.value:
                return False
            stored = self.bookings.subjects.get(booking.subject_id_number)
            if stored is None or (count_against_subject and len(stored.no_shows) != len(subject.no_shows)):
                raise SubjectMoved()
            after = replace(stored, active_services=stored.active_services - {booking.service_code})
            if count_against_subject:
                after.no_shows = [*stored.no_shows, booking.date]
                after.noshow_until = noshow_until or stored.noshow_until
            self.bookings.subjects[stored.id_number] = after
            self.bookings.bookings[booking.booking_id] = replace(
                current, status=Status.NO_SHOW.value, updated_at=now.isoformat()
            )
            self.bookings.outbox += messages
            return True

    def enqueue_once(self, message: Message) -> bool:
        with self.bookings.lock:
            if any(m.message_id == message.message_id for m in self.bookings.outbox):
                return False
            self.bookings.outbox.append(message)
            return True
