"""The booking aggregate in memory: bookings, subjects and slots (MemoryBookings) and the readers the
booking services need (R22's counters; the catalog is memory/catalog.py, the accounts memory/accounts.py,
the guardian links memory/family.py). store/memory/__init__.py builds one world of them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from ...domain.booking import Status, sources_of
from ...domain.errors import AlreadyBooked, NoSuchSlot, NotCancellable, SlotFull, Suspended, ValidationFailed
from ...domain.sanctions import CANCELS_PER_MONTH, month_key
from ...domain.timetable import slots_for_day
from ..base import Guard, GuardMoved, Items
from ..bookings import (
    ERASED,
    Booking,
    BookingMoved,
    ReplayedBooking,
    ReplayedReschedule,
    RescheduleKey,
    Subject,
    SubjectMoved,
)
from ..catalog import Catalog
from ..flags import MAX_EVENTS, Flag, flag_id
from ..outbox import Message
from ..slots import SlotState
from ..waitlist import Place

SlotKey = tuple[str, str, date, str]  # office, service, day, start


class PlaceExists(Exception):
    """A kept place's id is taken (on DynamoDB: an unlabelled condition, store.base.Cancelled). Ids
    derive from the booking and its move, so only a bug writes one twice."""


def _copy(subject: Subject) -> Subject:
    return replace(subject, active_services=set(subject.active_services), no_shows=list(subject.no_shows))


def _suspended(subject: Subject, now: datetime) -> bool:
    """store.bookings.not_suspended, negated: R11's month counter or R12's running suspension."""
    cancellations = subject.cancel_month == month_key(now.date()) and subject.cancel_count >= CANCELS_PER_MONTH
    return cancellations or (subject.noshow_until is not None and subject.noshow_until > now.isoformat())


class MemoryGuard:
    """A guard of the in-memory world: the condition a booking's transaction is written under (`holds`)
    and the change it makes with it (`apply`), both called under MemoryBookings' lock. It types as a
    store.base.Guard, but a DynamoDB transaction refuses it."""

    def __init__(self, holds: Callable[[], bool], apply: Callable[[], None]):
        self.holds = holds
        self.apply = apply

    def __call__(self, tx: Items) -> None:
        raise TypeError("an in-memory guard cannot join a DynamoDB transaction")


@dataclass
class MemoryBookings:
    """The booking aggregate: bookings, subjects, slots, the places kept for the waitlist, the
    reschedule keys and the outbox, as store/bookings/ writes them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    bookings: dict[str, Booking] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)
    slots: dict[SlotKey, SlotState] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)
    reschedule_keys: dict[str, RescheduleKey] = field(default_factory=dict)
    outbox: list[Message] = field(default_factory=list)

    # ---------------------------------------------------------------- reads

    def get_booking(self, booking_id: str) -> Booking | None:
        with self.lock:
            return self.bookings.get(booking_id)

    def get_subject(self, id_number: str) -> Subject:
        with self.lock:
            found = self.subjects.get(id_number)
            return _copy(found) if found else Subject(id_number)

    def get_subjects(self, id_numbers: list[str]) -> dict[str, Subject]:
        with self.lock:
            return {n: _copy(self.subjects[n]) if n in self.subjects else Subject(n) for n in id_numbers}

    def get_slot(self, office_id: str, service_code: str, day: date, start: str) -> SlotState | None:
        with self.lock:
            return self.slots.get((office_id, service_code, day, start))

    def read_for_booking(
        self, booking_id: str, id_number: str, office_id: str, service_code: str, day: date, start: str
    ) -> tuple[Booking | None, Subject, SlotState | None]:
        with self.lock:
            found = self.subjects.get(id_number)
            return (
                self.bookings.get(booking_id),
                _copy(found) if found else Subject(id_number),
                self.slots.get((office_id, service_code, day, start)),
            )

    def slots_between(
        self, office_id: str, service_code: str, first: date, last: date, consistent: bool = False
    ) -> list[SlotState]:
        with self.lock:
            return sorted(
                (
                    s
                    for (o, c, d, _), s in self.slots.items()
                    if (o, c) == (office_id, service_code) and first <= d <= last
                ),
                key=lambda s: (s.date, s.start),
            )

    def pseudonymise_for_account(self, account_id: str, pseudonym: Callable[[str], str]) -> int:
        with self.lock:
            done = 0
            for booking_id, booking in list(self.bookings.items()):
                if (
                    booking.account_id != account_id
                    or booking.status == Status.BOOKED.value
                    or booking.subject_id_number.startswith(ERASED)
                ):
                    continue
                erased = ERASED + pseudonym(booking.subject_id_number)
                self.bookings[booking_id] = replace(booking, subject_id_number=erased, newborn_name=None)
                done += 1
            return done

    def get_reschedule_key(self, key_id: str) -> RescheduleKey | None:
        with self.lock:
            return self.reschedule_keys.get(key_id)

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Booking], str | None]:
        """Newest first; the cursor is the offset of the next page (DynamoDB's is a sealed key)."""
        with self.lock:
            mine = sorted(
                (b for b in self.bookings.values() if b.account_id == account_id),
                key=lambda b: b.created_at,
                reverse=True,
            )
        offset = int(cursor or 0)
        page = mine[offset : offset + limit]
        return page, str(offset + limit) if offset + limit < len(mine) else None

    # ---------------------------------------------------------------- writes, each all or nothing

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
        if guard is not None and not isinstance(guard, MemoryGuard):  # DynamoDB's: a condition on its items
            raise NotImplementedError("a DynamoDB guard cannot be checked in memory: use the fake's own")
        key = (booking.office_id, booking.service_code, booking.date, booking.start)
        with self.lock:
            if booking.booking_id in self.bookings:
                raise ReplayedBooking()
            if guard is not None and not guard.holds():  # answered before the slot's and subject's, as there
                raise GuardMoved()
            slot = self.slots.get(key)
            if slot is None or slot.closed or slot.booked >= slot.capacity:
                if slot_was_open or (slot is not None and not slot.closed):
                    raise SlotFull("That slot has just been fully booked; please choose another.")
                raise NoSuchSlot("There is no slot at that date and time.")
            subject = self.subjects.get(booking.subject_id_number) or Subject(booking.subject_id_number)
            if booking.service_code in subject.active_services:
                raise AlreadyBooked("There is already an active booking for this service.")
            if _suspended(subject, now):
                suspension = subject.record().suspension(now)
                raise Suspended(
                    suspension.detail() if suspension else "Booking is suspended.",
                    suspended_until=suspension.until.isoformat() if suspension else None,
                )
            self.slots[key] = replace(slot, booked=slot.booked + 1)
            self.subjects[subject.id_number] = replace(
                _copy(subject), active_services=subject.active_services | {booking.service_code}
            )
            self.bookings[booking.booking_id] = replace(booking, status=Status.BOOKED.value)
            self.outbox += [message, *also]
            if guard is not None:
                guard.apply()

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
        key = (booking.office_id, booking.service_code, booking.date, booking.start)
        this_month = month_key(now.date())
        with self.lock:
            stored = self.subjects.get(booking.subject_id_number)
            as_read = stored is not None and (
                not count_against_subject
                or (stored.cancel_month, stored.cancel_count if stored.cancel_month == this_month else 0)
                == (subject.cancel_month, subject.cancel_count if subject.cancel_month == this_month else 0)
            )
            if stored is None or not as_read:
                raise SubjectMoved()
            slot = self.slots.get(key)
            if slot is None or slot.booked <= 0:
                raise ValidationFailed("the slot of this booking is gone")
            current = self.bookings.get(booking.booking_id)
            if current is None or Status(current.status) not in sources_of(Status.CANCELLED):
                raise NotCancellable("Only a booking in status `booked` can be cancelled.")
            if current.moves != booking.moves:
                raise BookingMoved()
            if delayed_place is None:
                self.slots[key] = replace(slot, booked=slot.booked - 1)
            else:  # the place stays taken (in `booked`), now as a delayed place
                if delayed_place.place_id in self.places:
                    raise PlaceExists(delayed_place.place_id)
                self.slots[key] = replace(slot, held=slot.held + 1)
                self.places[delayed_place.place_id] = delayed_place
            counted = _copy(stored)
            counted.active_services.discard(booking.service_code)
            if count_against_subject:
                if stored.cancel_month == this_month:
                    counted.cancel_count = stored.cancel_count + 1
                else:
                    counted.cancel_month, counted.cancel_count = this_month, 1
            self.subjects[stored.id_number] = counted
            self.bookings[booking.booking_id] = replace(
                current,
                status=Status.CANCELLED.value,
                updated_at=now.isoformat(),
                cancelled_by=by,
                cancel_reason=reason or current.cancel_reason,
            )
            self.outbox += messages

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
        new_key = (moved.office_id, moved.service_code, moved.date, moved.start)
        old_key = (booking.office_id, booking.service_code, booking.date, booking.start)
        with self.lock:
            if key_id is not None and key_id in self.reschedule_keys:
                raise ReplayedReschedule()
            current = self.bookings.get(booking.booking_id)
            old = self.slots.get(old_key)
            if (
                current is None
                or current.status != Status.BOOKED.value
                or current.moves != booking.moves
                or old is None
                or old.booked <= 0
            ):
                raise BookingMoved()
            new = self.slots.get(new_key)
            if new is None or new.closed:
                raise NoSuchSlot("There is no slot at that date and time.")
            if new.booked >= new.capacity:
                raise SlotFull("That slot has just been fully booked; please choose another.")
            if delayed_place.place_id in self.places:
                raise PlaceExists(delayed_place.place_id)
            self.slots[new_key] = replace(new, booked=new.booked + 1)
            old = self.slots[old_key]  # the same slot when only the time of day changes
            self.slots[old_key] = replace(old, held=old.held + 1)
            self.places[delayed_place.place_id] = delayed_place
            self.bookings[booking.booking_id] = replace(
                current,
                office_id=moved.office_id,
                date=moved.date,
                start=moved.start,
                end=moved.end,
                moves=moved.moves,
                updated_at=now.isoformat(),
            )
            if key_id is not None:
                self.reschedule_keys[key_id] = RescheduleKey(
                    key_id, booking.booking_id, moved.office_id, moved.date, moved.start
                )
            self.outbox += messages

    # ---------------------------------------------------------------- what a test sets up

    def release(self, catalog: Catalog, day: date) -> None:
        """The noon release of `day` (R6): every hall's planned slots of every service, empty."""
        with self.lock:
            for office in catalog.offices.values():
                for plan in slots_for_day(office.timetable, day, catalog.calendar, office.closed_days):
                    key = (office.office_id, plan.service_code, day, plan.start)
                    self.slots.setdefault(
                        key,
                        SlotState(
                            office.office_id, plan.service_code, day, plan.start, plan.end, plan.capacity, 0, False
                        ),
                    )


@dataclass
@dataclass
class MemoryFlags:
    """R22's counters as store/flags.py keeps them: the events noted per (pattern, key), and the flags
    raised from them by id (store.flags.flag_id), raised again - open, count and evidence renewed -
    unless an administrator reviewed one at this count or a higher one (memory/oversight.py reviews)."""

    events: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    subjects: dict[str, str] = field(default_factory=dict)  # flag id -> what it is about, masked
    flags: dict[str, Flag] = field(default_factory=dict)
    reviewed_counts: dict[str, int] = field(default_factory=dict)

    def record(
        self, pattern: str, key: str, subject: str, event: dict[str, Any], now: datetime
    ) -> list[dict[str, Any]]:
        kept = self.events.setdefault((pattern, key), [])
        if len(kept) < MAX_EVENTS:
            kept.append(event)
        self.subjects[flag_id(pattern, key)] = subject
        return list(kept)

    def raise_flag(self, pattern: str, key: str, count: int, evidence: list[dict[str, Any]], now: datetime) -> bool:
        fid = flag_id(pattern, key)
        current = self.flags.get(fid)
        if fid not in self.subjects or (
            current is not None and current.status == "reviewed" and self.reviewed_counts.get(fid, 0) >= count
        ):
            return False
        raised = Flag(fid, pattern, self.subjects[fid], count, now.isoformat(), "open", list(evidence))
        if current is not None:  # the review's fields stay, as on DynamoDB
            raised = replace(
                raised,
                reviewed_by=current.reviewed_by,
                reviewed_at=current.reviewed_at,
                review_note=current.review_note,
            )
        self.flags[fid] = raised
        return True
