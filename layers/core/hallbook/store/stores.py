"""The seam between the booking services and their data: what `services.bookings`, `services.reschedule`
and their eligibility checks read and write, as interfaces named by their guarantees (after the
repository and unit of work of cosmicpython/code, sized for DynamoDB: one transaction per change, so
each write below is one call that succeeds whole or raises).

`stores()` answers the implementation in use: DynamoDB (the modules of this package) unless a test
installed another with `installed(...)` - the in-memory one of store/memory/, which keeps the same
guarantees and raises the same exceptions, so the services' rules are tested without AWS (tests/unit).
What only DynamoDB can show - its conditions, transactions, races and streams - is tested on the
embedded AWS (tests/api, tests/races).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..domain.waitlist import EntryStatus
    from .accounts import Account
    from .base import Guard
    from .bookings import Booking, RescheduleKey, Subject
    from .catalog import Catalog
    from .guardians import Guardians
    from .outbox import Message
    from .slots import SlotState
    from .waitlist import Entry, Place


class BookingStore(Protocol):
    """The booking aggregate: bookings, their subjects (R9's lock, R11/R12's counters) and the slots'
    places they take, each change written with its outbox messages (R16) in one step."""

    def get_booking(self, booking_id: str) -> Booking | None: ...

    def get_subject(self, id_number: str) -> Subject: ...

    def read_for_booking(
        self, booking_id: str, id_number: str, office_id: str, service_code: str, day: date, start: str
    ) -> tuple[Booking | None, Subject, SlotState | None]:
        """The idempotency probe, the subject and the slot, read together and strongly consistent."""
        ...

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
        """Take one place (`booked < capacity`, not closed: R7), the subject's lock on the service (R9;
        not suspended: R11, R12), the booking and its SMS, all or nothing. Raises ReplayedBooking (the
        id exists), SlotFull, NoSuchSlot (SlotFull when `slot_was_open`), AlreadyBooked, Suspended,
        GuardMoved."""
        ...

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
        """A `booked` booking as read (its `moves`) becomes cancelled with the subject's lock released,
        its R11 counter (optimistic on `subject`) and the SMS, all or nothing; the place is freed or,
        with `delayed_place`, stays taken as that place (R18, R19). Raises NotCancellable, BookingMoved,
        SubjectMoved."""
        ...

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
        """R8a: the new place taken and the old one kept as `delayed_place`, the booking moved (only if
        still `booked` where read), the Idempotency-Key's record and the SMS, all or nothing. Raises
        ReplayedReschedule, BookingMoved, SlotFull, NoSuchSlot."""
        ...

    def get_reschedule_key(self, key_id: str) -> RescheduleKey | None: ...

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Booking], str | None]:
        """The account's bookings, newest first, a page at a time (cursor: the next page's)."""
        ...


class SlotReader(Protocol):
    def get_slot(self, office_id: str, service_code: str, day: date, start: str) -> SlotState | None:
        """One slot as stored now (strongly consistent)."""
        ...

    def slots_between(
        self, office_id: str, service_code: str, first: date, last: date, consistent: bool = False
    ) -> list[SlotState]: ...


class CatalogReader(Protocol):
    def load_catalog(self, max_age: float = ...) -> Catalog: ...


class AccountReader(Protocol):
    def get_account(self, account_id: str) -> Account | None: ...

    def get_verified_citizen(self, account_id: str) -> Account | None:
        """May answer a verified citizen's account from a short per-process cache."""
        ...


class GuardianReader(Protocol):
    def get(self, minor_id_number: str) -> Guardians:
        """A minor's guardian links (none: an empty Guardians), strongly consistent."""
        ...


class FlagCounters(Protocol):
    """R22's advisory counters (services.flags)."""

    def record(
        self, pattern: str, key: str, subject: str, event: dict[str, Any], now: datetime
    ) -> list[dict[str, Any]]:
        """Add `event` to the pattern's events of `key`; the events kept."""
        ...

    def raise_flag(self, pattern: str, key: str, count: int, evidence: list[dict[str, Any]], now: datetime) -> bool:
        """Raise the flag unless it is raised already (True when this raised it)."""
        ...


# ---------------------------------------------------------------- the waitlist aggregate (R18, R19)


class WaitlistStore(Protocol):
    """The waitlist aggregate: entries and the places kept for them (store/waitlist.py describes
    them). Each write below is one step, all or nothing, that moves the slot's `booked`/`held`, the
    subject's R9 lock and the SMS with the entry or place; a condition that no longer holds is an
    answer: EntryMoved, PlaceMoved, or a booking's refusal."""

    def get_entry(self, entry_id: str) -> Entry | None: ...

    def get_place(self, place_id: str) -> Place | None: ...

    def entries_of_account(self, account_id: str, limit: int = 100) -> list[Entry]:
        """The account's entries (its own and its minors'), newest first."""
        ...

    def waiting_entries(self, office_id: str, service_code: str, day: date) -> list[Entry]:
        """The entries still waiting for a hall's service on `day`, in join order (may lag a write:
        every write that acts on one is conditioned on its status)."""
        ...

    def places_of_day(self, office_id: str, service_code: str, day: date) -> list[Place]: ...

    def due_keys(self, now: datetime) -> list[str]:
        """The keys of what is due at `now` (to the second): waiting entries past their cut-off,
        offers past their deadline, delayed places past their return."""
        ...

    def get_items(self, keys: list[str]) -> list[Entry | Place]:
        """The entries and places of `keys` as stored now (those that still exist)."""
        ...

    def join(self, entry: Entry, cut_off: datetime, now: datetime) -> None:
        """R18 with R9, R11, R12: the entry joins its queue (the next join number) with the subject's
        lock on the service, under a booking's subject condition. Raises AlreadyBooked, Suspended."""
        ...

    def offer_delayed_place(
        self, place: Place, entry: Entry, until: datetime, now: datetime, messages: list[Message]
    ) -> None:
        """A delayed place is held for a waiting entry until `until` (it stays taken). Raises PlaceMoved
        (no longer delayed), EntryMoved (the entry no longer waiting)."""
        ...

    def hold_free_place(
        self, place: Place, entry: Entry, until: datetime, now: datetime, messages: list[Message]
    ) -> None:
        """A free place is taken (R7's condition) and held for a waiting entry. Raises EntryMoved,
        SlotFull, NoSuchSlot."""
        ...

    def accept_offer(
        self, entry: Entry, booking: Booking, slot_ends_at: datetime, now: datetime, messages: list[Message]
    ) -> None:
        """R18 with R7-R12: the offer (still held, before its deadline) becomes `booking` - the place
        leaves `held`, `booked` unchanged, the subject's lock kept. Raises EntryMoved, NoSuchSlot (the
        slot closed), Suspended."""
        ...

    def pass_offer_on(
        self, entry: Entry, status: EntryStatus, return_at: datetime, now: datetime, messages: list[Message]
    ) -> None:
        """An offer ends unbooked (`status`): the entry ends, its lock freed, its place delayed again
        until `return_at`. Raises EntryMoved."""
        ...

    def return_to_pool(self, place: Place, now: datetime) -> None:
        """A delayed place becomes free (`booked` and `held` - 1). Raises PlaceMoved."""
        ...

    def end_entry(self, entry: Entry, status: EntryStatus, now: datetime, messages: list[Message]) -> None:
        """A waiting entry ends (`status`) and frees its lock. Raises EntryMoved."""
        ...

    def withdraw_place(self, place: Place, entry: Entry | None, now: datetime, messages: list[Message]) -> None:
        """A hall's closure: the place goes and the entry it was offered to ends. Raises PlaceMoved."""
        ...


@dataclass(frozen=True)
class Stores:
    """What the booking services reach, one implementation of each."""

    bookings: BookingStore
    slots: SlotReader
    catalog: CatalogReader
    accounts: AccountReader
    guardians: GuardianReader
    flags: FlagCounters
    waitlist: WaitlistStore


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

    def get_reschedule_key(self, key_id: str) -> RescheduleKey | None:
        from . import bookings

        return bookings.get_reschedule_key(key_id)

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Booking], str | None]:
        from . import bookings

        return bookings.list_for_account(account_id, limit, cursor)


_dynamo: Stores | None = None
_installed: Stores | None = None
_layer: ContextVar[Stores | None] = ContextVar("hallbook_stores_layer", default=None)


def dynamo() -> Stores:
    """The DynamoDB implementation: the store modules themselves (built on first use)."""
    global _dynamo
    if _dynamo is None:
        from . import accounts, catalog, flags, guardians, slots
        from .waitlist_dynamo import DynamoWaitlist

        _dynamo = Stores(
            bookings=DynamoBookings(),
            slots=slots,
            catalog=catalog,
            accounts=accounts,
            guardians=guardians,
            flags=flags,
            waitlist=DynamoWaitlist(),
        )
    return _dynamo


def stores() -> Stores:
    """The stores in use: a layer this call runs in (`layered`), else the ones a test installed, else
    DynamoDB's."""
    return _layer.get() or _installed or dynamo()


@contextmanager
def layered(layer: Stores) -> Iterator[Stores]:
    """Run the block, in this thread only, on `layer`: stores wrapped for one call (e.g. the booking's
    noon cache, services/noon_cache.py)."""
    token = _layer.set(layer)
    try:
        yield layer
    finally:
        _layer.reset(token)


@contextmanager
def installed(replacement: Stores) -> Iterator[Stores]:
    """Run the block (every thread of the process) on `replacement`, e.g. store.memory's fake."""
    global _installed
    before = _installed
    _installed = replacement
    try:
        yield replacement
    finally:
        _installed = before
