"""The waitlist aggregate in memory (store.stores.WaitlistStore): its entries here, its places in the
booking aggregate's MemoryBookings (`places`: a cancellation or a move writes a delayed place there,
as on DynamoDB the booking's transaction writes the place item), under MemoryBookings' one lock, so
every write below moves the entry, the place, the slot's `booked`/`held`, the subject's R9 lock and
the SMS together, or raises what store/waitlist_transactions.py raises, checked in the same order."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from ...domain.booking import Status
from ...domain.errors import AlreadyBooked, NoSuchSlot, SlotFull, Suspended
from ...domain.sanctions import CANCELS_PER_MONTH, month_key
from ...domain.waitlist import EntryStatus, Origin, PlaceState
from ..base import Cancelled
from ..bookings import Booking, Subject
from ..outbox import Message
from ..waitlist import Entry, EntryMoved, Place, PlaceMoved, entry_key, place_key
from .bookings import MemoryBookings, SlotKey

QueueKey = tuple[str, str, date]  # office, service, day


def _failed(label: str) -> Cancelled:
    """A condition DynamoDB's transaction does not name an answer for (a bug if it ever fails)."""
    return Cancelled({label: "ConditionalCheckFailed"})


def _suspended(subject: Subject, now: datetime) -> bool:
    """store.bookings.not_suspended, negated: R11's month counter or R12's running suspension."""
    cancellations = subject.cancel_month == month_key(now.date()) and subject.cancel_count >= CANCELS_PER_MONTH
    return cancellations or (subject.noshow_until is not None and subject.noshow_until > now.isoformat())


def _refusal(subject: Subject, service_code: str, now: datetime) -> Exception:
    """store.bookings.booking_failure of a failed subject condition: the lock held, else the suspension."""
    if service_code in subject.active_services:
        return AlreadyBooked("There is already an active booking for this service.")
    suspension = subject.record().suspension(now)
    return Suspended(
        suspension.detail() if suspension else "Booking is suspended.",
        suspended_until=suspension.until.isoformat() if suspension else None,
    )


def _second(at: datetime) -> datetime:
    return at.replace(microsecond=0)


@dataclass
class MemoryWaitlist:
    world: MemoryBookings
    entries: dict[str, Entry] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)  # an entry's join number (its order in its queue)
    cut_offs: dict[str, datetime] = field(default_factory=dict)  # when a waiting entry ends
    sequences: dict[QueueKey, int] = field(default_factory=dict)  # the last join number of each queue

    # ---------------------------------------------------------------- reads

    def get_entry(self, entry_id: str) -> Entry | None:
        with self.world.lock:
            return self.entries.get(entry_id)

    def get_place(self, place_id: str) -> Place | None:
        with self.world.lock:
            return self.world.places.get(place_id)

    def entries_of_account(self, account_id: str, limit: int = 100) -> list[Entry]:
        with self.world.lock:
            mine = [e for e in self.entries.values() if e.account_id == account_id]
        return sorted(mine, key=lambda e: e.created_at, reverse=True)[:limit]

    def waiting_entries(self, office_id: str, service_code: str, day: date) -> list[Entry]:
        with self.world.lock:
            waiting = [
                e
                for e in self.entries.values()
                if (e.office_id, e.service_code, e.date) == (office_id, service_code, day)
                and e.status == EntryStatus.WAITING.value
            ]
            return sorted(waiting, key=lambda e: self.numbers[e.entry_id])

    def places_of_day(self, office_id: str, service_code: str, day: date) -> list[Place]:
        with self.world.lock:
            return sorted(
                (
                    p
                    for p in self.world.places.values()
                    if (p.office_id, p.service_code, p.date) == (office_id, service_code, day)
                ),
                key=lambda p: p.place_id,
            )

    def due_keys(self, now: datetime) -> list[str]:
        due: list[tuple[datetime, str]] = []
        with self.world.lock:
            for entry in self.entries.values():
                if entry.status == EntryStatus.WAITING.value:
                    due.append((self.cut_offs[entry.entry_id], entry_key(entry.entry_id)))
            for place in self.world.places.values():
                at = place.offer_until if place.state == PlaceState.OFFERED.value else place.return_at
                if at is not None:
                    due.append((at, place_key(place.place_id)))
        return [key for at, key in sorted(due) if _second(at) <= _second(now)]

    def get_items(self, keys: list[str]) -> list[Entry | Place]:
        found: list[Entry | Place] = []
        with self.world.lock:
            for key in dict.fromkeys(keys):
                kind, _, item_id = key.partition("#")
                item = self.entries.get(item_id) if kind == "WAIT" else self.world.places.get(item_id)
                if item is not None:
                    found.append(item)
        return found

    # ---------------------------------------------------------------- writes, each all or nothing

    def join(self, entry: Entry, cut_off: datetime, now: datetime) -> None:
        queue = (entry.office_id, entry.service_code, entry.date)
        with self.world.lock:
            number = self.sequences.get(queue, 0) + 1  # given out first: a refused join skips its number
            self.sequences[queue] = number
            subject = self.world.subjects.get(entry.subject_id_number) or Subject(entry.subject_id_number)
            if entry.service_code in subject.active_services or _suspended(subject, now):
                raise _refusal(subject, entry.service_code, now)
            if entry.entry_id in self.entries:
                raise _failed("entry")
            self._lock(subject, entry.service_code, take=True)
            self.entries[entry.entry_id] = replace(entry, status=EntryStatus.WAITING.value)
            self.numbers[entry.entry_id] = number
            self.cut_offs[entry.entry_id] = cut_off

    def offer_delayed_place(
        self, place: Place, entry: Entry, until: datetime, now: datetime, messages: list[Message]
    ) -> None:
        with self.world.lock:
            stored = self.world.places.get(place.place_id)
            if stored is None or stored.state != PlaceState.DELAYED.value:
                raise PlaceMoved()
            waiting = self._waiting(entry)
            self.world.places[place.place_id] = replace(
                stored, state=PlaceState.OFFERED.value, entry_id=entry.entry_id, offer_until=until, return_at=None
            )
            self._offered(waiting, place, until, now)
            self.world.outbox += messages

    def hold_free_place(
        self, place: Place, entry: Entry, until: datetime, now: datetime, messages: list[Message]
    ) -> None:
        key: SlotKey = (place.office_id, place.service_code, place.date, place.start)
        with self.world.lock:
            waiting = self._waiting(entry)
            slot = self.world.slots.get(key)
            if slot is None or slot.closed:
                raise NoSuchSlot("There is no slot at that date and time.")
            if slot.booked >= slot.capacity:
                raise SlotFull("That slot has just been fully booked; please choose another.")
            if place.place_id in self.world.places:
                raise _failed("place")
            self.world.slots[key] = replace(slot, booked=slot.booked + 1, held=slot.held + 1)
            self.world.places[place.place_id] = replace(
                place,
                state=PlaceState.OFFERED.value,
                origin=Origin.FREED.value,
                entry_id=entry.entry_id,
                offer_until=until,
                return_at=None,
            )
            self._offered(waiting, place, until, now)
            self.world.outbox += messages

    def accept_offer(
        self, entry: Entry, booking: Booking, slot_ends_at: datetime, now: datetime, messages: list[Message]
    ) -> None:
        key: SlotKey = (booking.office_id, booking.service_code, booking.date, booking.start)
        with self.world.lock:
            current = self.entries.get(entry.entry_id)
            if (
                current is None
                or current.status != EntryStatus.OFFERED.value
                or current.place_id != entry.place_id
                or current.offer_until is None
                or current.offer_until <= now
            ):
                raise EntryMoved()
            place = self.world.places.get(entry.place_id or "")
            if place is None or place.state != PlaceState.OFFERED.value or place.entry_id != entry.entry_id:
                raise EntryMoved()
            if booking.booking_id in self.world.bookings:
                raise EntryMoved()
            slot = self.world.slots.get(key)
            if slot is None or slot.held <= 0 or slot.closed:
                raise NoSuchSlot("The hall has closed this slot.")
            subject = self.world.subjects.get(booking.subject_id_number) or Subject(booking.subject_id_number)
            if booking.service_code not in subject.active_services or _suspended(subject, now):
                # as store.waitlist_transactions: the refusal a booking would get, Suspended as such and
                # anything else (the lock held: AlreadyBooked, the subject suspended since) EntryMoved
                refusal = _refusal(subject, booking.service_code, now)
                raise refusal if isinstance(refusal, Suspended) else EntryMoved()
            self.entries[entry.entry_id] = replace(
                current,
                status=EntryStatus.ACCEPTED.value,
                booking_id=booking.booking_id,
                updated_at=now.isoformat(),
                place_id=None,
            )
            del self.world.places[place.place_id]
            self.world.slots[key] = replace(slot, held=slot.held - 1)
            self.world.bookings[booking.booking_id] = replace(booking, status=Status.BOOKED.value)
            self.world.outbox += messages

    def pass_offer_on(
        self, entry: Entry, status: EntryStatus, return_at: datetime, now: datetime, messages: list[Message]
    ) -> None:
        with self.world.lock:
            current = self.entries.get(entry.entry_id)
            if current is None or current.status != EntryStatus.OFFERED.value or current.place_id != entry.place_id:
                raise EntryMoved()
            place = self.world.places.get(entry.place_id or "")
            if place is None or place.state != PlaceState.OFFERED.value or place.entry_id != entry.entry_id:
                raise EntryMoved()
            self._ended(current, status, now)  # first: it raises before it writes
            self.world.places[place.place_id] = replace(
                place, state=PlaceState.DELAYED.value, entry_id=None, offer_until=None, return_at=return_at
            )
            self.world.outbox += messages

    def return_to_pool(self, place: Place, now: datetime) -> None:
        with self.world.lock:
            stored = self.world.places.get(place.place_id)
            if stored is None or stored.state != PlaceState.DELAYED.value:
                raise PlaceMoved()
            self._leaves_slot(place)
            del self.world.places[place.place_id]

    def end_entry(self, entry: Entry, status: EntryStatus, now: datetime, messages: list[Message]) -> None:
        with self.world.lock:
            self._ended(self._waiting(entry), status, now)
            self.world.outbox += messages

    def withdraw_place(self, place: Place, entry: Entry | None, now: datetime, messages: list[Message]) -> None:
        with self.world.lock:
            stored = self.world.places.get(place.place_id)
            if (
                stored is None
                or stored.state != place.state
                or (entry is not None and stored.entry_id != entry.entry_id)
            ):
                raise PlaceMoved()
            current = self.entries.get(entry.entry_id) if entry is not None else None
            if entry is not None and (
                current is None or current.status != EntryStatus.OFFERED.value or current.place_id != place.place_id
            ):
                raise PlaceMoved()
            if current is not None and current.subject_id_number not in self.world.subjects:
                raise _failed("subject")
            self._leaves_slot(place)  # raises before it writes
            del self.world.places[place.place_id]
            if current is not None:
                self._ended(current, EntryStatus.ENDED, now)
            self.world.outbox += messages

    # ---------------------------------------------------------------- parts of the writes (the lock held)

    def _waiting(self, entry: Entry) -> Entry:
        current = self.entries.get(entry.entry_id)
        if current is None or current.status != EntryStatus.WAITING.value:
            raise EntryMoved()
        return current

    def _offered(self, waiting: Entry, place: Place, until: datetime, now: datetime) -> None:
        self.entries[waiting.entry_id] = replace(
            waiting,
            status=EntryStatus.OFFERED.value,
            place_id=place.place_id,
            offer_start=place.start,
            offer_end=place.end,
            offer_until=until,
            updated_at=now.isoformat(),
        )

    def _ended(self, current: Entry, status: EntryStatus, now: datetime) -> None:
        """The entry ends and the subject's lock on the service is released (the subject must exist:
        raises, before writing anything, if not)."""
        subject = self.world.subjects.get(current.subject_id_number)
        if subject is None:
            raise _failed("subject")
        self._lock(subject, current.service_code, take=False)
        self.entries[current.entry_id] = replace(
            current, status=status.value, updated_at=now.isoformat(), place_id=None
        )

    def _lock(self, subject: Subject, service_code: str, take: bool) -> None:
        services = subject.active_services | {service_code} if take else subject.active_services - {service_code}
        self.world.subjects[subject.id_number] = replace(
            subject, active_services=services, no_shows=list(subject.no_shows)
        )

    def _leaves_slot(self, place: Place) -> None:
        key: SlotKey = (place.office_id, place.service_code, place.date, place.start)
        slot = self.world.slots.get(key)
        if slot is None or slot.held <= 0 or slot.booked <= 0:
            raise _failed("slot")
        self.world.slots[key] = replace(slot, booked=slot.booked - 1, held=slot.held - 1)
